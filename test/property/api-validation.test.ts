// DispatchService input validation under arbitrary requests (fast-check) over real loopback gRPC against a
// spawned `rushhour serve`: every request is either accepted or refused with INVALID_ARGUMENT naming the
// field (never an internal error), and the server keeps serving. Bounded: a few hundred calls.
import { status } from "@grpc/grpc-js";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CustomerTier, OrderState } from "../../proto/gen/rushhour/v1/common.ts";
import { WaitMode } from "../../proto/gen/rushhour/v1/dispatch.ts";
import { call, clients, failure } from "../server/grpc/clients.ts";
import { type SpawnedServer, spawnServe } from "../support/spawn.ts";

let server: SpawnedServer;
let c: ReturnType<typeof clients>;

beforeAll(async () => {
  server = await spawnServe(["--skus", "sku-a,sku-b", "--seed-stock", "2000", "--providers", "local:zero"]);
  c = clients(server.address);
});

afterAll(async () => {
  c?.close();
  await server?.stop();
});

const FIELDS = ["idempotency_key", "sku", "tier", "wait_mode"];
const SKU = /^[A-Za-z0-9._:-]{1,64}$/;
// The documented rule: 1-128 characters (UTF-16 units), no control characters (C0, DEL, C1).
const KEY = {
  test: (k: string) =>
    k.length >= 1 &&
    k.length <= 128 &&
    [...k].every((ch) => {
      const c = ch.charCodeAt(0);
      return !(c < 0x20 || (c >= 0x7f && c <= 0x9f));
    }),
};

/** Strings that probe the rules: empty, long, unicode, control characters, near-valid. */
const text = fc.oneof(
  fc.string({ maxLength: 140 }),
  fc.string({ unit: "grapheme", maxLength: 70 }),
  fc.constantFrom(
    "",
    " ",
    "sku-a",
    "sku-b",
    "sku-zzz",
    "a".repeat(64),
    "a".repeat(65),
    "k".repeat(129),
    "\u0000",
  ),
);
const enumValue = fc.oneof(fc.integer({ min: -3, max: 8 }), fc.integer());
// Valid values often enough that acceptance is exercised too.
const key = fc.oneof(
  { arbitrary: fc.stringMatching(/^[a-z0-9-]{1,24}$/), weight: 2 },
  { arbitrary: text, weight: 3 },
);
const sku = fc.oneof(
  { arbitrary: fc.constantFrom("sku-a", "sku-b"), weight: 2 },
  { arbitrary: text, weight: 3 },
);
const tier = fc.oneof(
  { arbitrary: fc.constantFrom(0, 1, 2), weight: 3 },
  { arbitrary: enumValue, weight: 1 },
);
const waitMode = fc.oneof(
  { arbitrary: fc.constantFrom(0, 1, 2), weight: 3 },
  { arbitrary: enumValue, weight: 1 },
);

describe("SubmitOrder under arbitrary input (property, real gRPC)", () => {
  it("accepts valid requests and refuses the rest with INVALID_ARGUMENT naming a field", {
    timeout: 180_000,
  }, async () => {
    let n = 0;
    const seen = { accepted: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(key, sku, tier, waitMode, async (rawKey, sku, tier, waitMode) => {
        // A unique prefix keeps valid keys from replaying each other's orders.
        const idempotencyKey = KEY.test(rawKey) && rawKey.length <= 120 ? `p${++n}-${rawKey}` : rawKey;
        const req = { idempotencyKey, sku, tier, waitMode };
        // The call's outcome first, the assertions after: an assertion must not be mistaken for a refusal.
        const outcome = await call(c.dispatch.submitOrder, c.dispatch, req, { deadlineMs: 10_000 }).then(
          (res) => ({ ok: true as const, res }),
          (err: { code: number; details: string }) => ({ ok: false as const, err }),
        );
        if (outcome.ok) {
          // Accepted: then every field was valid.
          expect(KEY.test(idempotencyKey), idempotencyKey).toBe(true);
          expect(SKU.test(sku), sku).toBe(true);
          expect(outcome.res.order?.state).not.toBe(OrderState.ORDER_STATE_UNSPECIFIED);
          seen.accepted++;
        } else {
          expect(outcome.err.code, outcome.err.details).toBe(status.INVALID_ARGUMENT);
          expect(FIELDS).toContain(outcome.err.details.split(":")[0]);
          seen.refused++;
        }
      }),
      { numRuns: 250 },
    );
    // Both sides of the rule were exercised, not only refusals.
    expect(seen.accepted).toBeGreaterThan(0);
    expect(seen.refused).toBeGreaterThan(0);
  });

  it("still serves a valid order afterwards", async () => {
    const res = await call(c.dispatch.submitOrder, c.dispatch, {
      idempotencyKey: `after-${process.pid}`,
      sku: "sku-a",
      tier: CustomerTier.CUSTOMER_TIER_VIP,
      waitMode: WaitMode.WAIT_MODE_DELIVERED,
    });
    expect(res.order?.state).toBe(OrderState.ORDER_STATE_DELIVERED);
  });

  it("GetOrder refuses arbitrary ids and keys with NOT_FOUND or INVALID_ARGUMENT, never more", {
    timeout: 120_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(text, fc.boolean(), async (value, byId) => {
        const req = byId ? { orderId: value } : { idempotencyKey: `nope-${value}` };
        const err = await failure(call(c.dispatch.getOrder, c.dispatch, req, { deadlineMs: 10_000 }));
        expect([status.NOT_FOUND, status.INVALID_ARGUMENT]).toContain(err.code);
      }),
      { numRuns: 150 },
    );
  });
});
