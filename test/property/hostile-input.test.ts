// Hostile input against a real server over loopback (fast-check): SubmitOrder, GetOrder and ApplyConfig
// driven with huge and odd strings, invalid enums, deep and prototype-polluting JSON, huge numbers,
// NaN-like tokens and empty or oversized fields. Every answer is a defined status (never INTERNAL or
// UNKNOWN), GetSnapshot keeps answering after every configuration change, and afterwards the server is
// SERVING and delivers a normal order. Bounded: a few hundred calls.
import { credentials, type Metadata, makeClientConstructor, status } from "@grpc/grpc-js";
import fc from "fast-check";
import { service as healthService } from "grpc-health-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CustomerTier, OrderState } from "../../proto/gen/rushhour/v1/common.ts";
import { WaitMode } from "../../proto/gen/rushhour/v1/dispatch.ts";
import { PRESETS } from "../../server/core/index.ts";
import { bearer, call, clients } from "../server/grpc/clients.ts";
import { type SpawnedServer, spawnServe } from "../support/spawn.ts";

let server: SpawnedServer;
let c: ReturnType<typeof clients>;
let auth: Metadata;

beforeAll(async () => {
  server = await spawnServe(["--skus", "sku-a,sku-b", "--seed-stock", "5000", "--providers", "local:zero"]);
  c = clients(server.address);
  auth = bearer(server.adminToken);
});

afterAll(async () => {
  c?.close();
  await server?.stop();
});

const DEFINED = [
  status.OK,
  status.INVALID_ARGUMENT,
  status.NOT_FOUND,
  status.FAILED_PRECONDITION,
  status.RESOURCE_EXHAUSTED,
  status.UNAUTHENTICATED,
];

/** The call's status: OK, or the gRPC error code (an assertion error inside is not a status). */
async function statusOf(p: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await p;
    return { code: status.OK, details: "" };
  } catch (err) {
    const e = err as { code?: number; details?: string };
    if (typeof e.code !== "number") throw err;
    return { code: e.code, details: e.details ?? "" };
  }
}

// Larger than the server's 4 MiB message bound.
const OVERSIZED = "x".repeat(5 * 1024 * 1024);
const oddString = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: "grapheme", maxLength: 100 }),
  fc.string({ unit: "binary", maxLength: 100 }),
  fc.constantFrom(
    "",
    " ",
    "NaN",
    "Infinity",
    "-0",
    "1e309",
    "__proto__",
    "constructor",
    "prototype",
    "sku-a",
    "\u0000",
    "\ud800",
    "\u202e",
    "💥".repeat(70),
    "k".repeat(10_000),
    OVERSIZED,
  ),
);
const enumValue = fc.oneof(
  fc.constantFrom(0, 1, 2, 3, -1, 2 ** 31 - 1, -(2 ** 31)),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
);

/** Every leaf path of a configuration ("lanes.default.workers", ...). */
function leafPaths(value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== "object") return [prefix];
  return Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...prefix, k]));
}
const PATHS = leafPaths(PRESETS.adaptive);

// Raw JSON tokens, written unquoted into the JSON text (JSON.stringify cannot express 1e999).
const hostileToken = fc.oneof(
  fc.constantFrom(
    "4294967296",
    "4294967295",
    "2147483648",
    "9007199254740993",
    "18446744073709551616",
    "1e308",
    "1e999",
    "-1e999",
    "-1",
    "-0",
    "0.5",
    "null",
    "true",
    "[]",
    "{}",
    '"NaN"',
    '"Infinity"',
    '"1e3"',
    '"__proto__"',
  ),
  fc.double().map((x) => JSON.stringify(x)),
  fc.integer().map(String),
  fc.string({ maxLength: 20 }).map((s) => JSON.stringify(s)),
);
const atPath = (path: string[], token: string) =>
  path.reduceRight((inner, key) => `{${JSON.stringify(key)}:${inner}}`, token);
const configJson = fc.oneof(
  { arbitrary: fc.tuple(fc.constantFrom(...PATHS), hostileToken).map(([p, t]) => atPath(p, t)), weight: 5 },
  {
    arbitrary: fc
      .tuple(
        fc.constantFrom(...PATHS),
        fc.constantFrom("__proto__", "constructor", "prototype"),
        hostileToken,
      )
      .map(([p, reserved, t]) => atPath([...p.slice(0, -1), reserved, p.at(-1)!], t)),
    weight: 2,
  },
  { arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)), weight: 2 },
  {
    arbitrary: fc.integer({ min: 50, max: 20_000 }).map((n) => `${'{"lanes":'.repeat(n)}1${"}".repeat(n)}`),
    weight: 1,
  },
  {
    arbitrary: fc.integer({ min: 50, max: 20_000 }).map((n) => `${"[".repeat(n)}${"]".repeat(n)}`),
    weight: 1,
  },
  { arbitrary: oddString, weight: 1 },
);

const action = fc.oneof(
  fc.record({
    kind: fc.constant("submit" as const),
    idempotencyKey: oddString,
    sku: fc.oneof(fc.constantFrom("sku-a", "sku-b"), oddString),
    tier: enumValue,
    waitMode: enumValue,
  }),
  fc.record({ kind: fc.constant("get" as const), value: oddString, byId: fc.boolean() }),
  fc.record({ kind: fc.constant("apply" as const), configJson, dryRun: fc.boolean() }),
);

describe("hostile input (property, real gRPC)", () => {
  it("every answer is a defined status and GetSnapshot keeps answering", { timeout: 300_000 }, async () => {
    const seen = new Map<number, number>();
    const configs = { applied: 0, refused: 0 };
    let n = 0;
    await fc.assert(
      fc.asyncProperty(action, async (a) => {
        let outcome: { code: number; details: string };
        if (a.kind === "submit") {
          const { kind: _, ...req } = a;
          outcome = await statusOf(
            call(c.dispatch.submitOrder, c.dispatch, {
              ...req,
              idempotencyKey: `${++n}-${req.idempotencyKey}`,
            }),
          );
        } else if (a.kind === "get") {
          const req = a.byId ? { orderId: a.value } : { idempotencyKey: a.value };
          outcome = await statusOf(call(c.dispatch.getOrder, c.dispatch, req));
        } else {
          const req = { configJson: a.configJson, dryRun: a.dryRun };
          const res = await call(c.admin.applyConfig, c.admin, req, { metadata: auth }).then(
            (r) => ({ code: status.OK, details: "", r }),
            (err: { code?: number; details?: string }) => {
              if (typeof err.code !== "number") throw err;
              return { code: err.code, details: err.details ?? "", r: undefined };
            },
          );
          outcome = res;
          if (res.r?.applied) configs.applied++;
          else if (res.r !== undefined && res.r.errors.length > 0) configs.refused++;
          // Whatever was applied, the snapshot can still be encoded.
          const snap = await statusOf(
            call(c.admin.getSnapshot, c.admin, { includeOperations: false }, { metadata: auth }),
          );
          expect(snap, `GetSnapshot after ApplyConfig ${a.configJson.slice(0, 200)}`).toEqual({
            code: status.OK,
            details: "",
          });
        }
        expect(DEFINED, `${a.kind}: ${outcome.code} ${outcome.details}`).toContain(outcome.code);
        seen.set(outcome.code, (seen.get(outcome.code) ?? 0) + 1);
      }),
      {
        numRuns: 300,
        // Run first, so both sides below are reached whatever the random inputs are (in one CI run every
        // generated configuration happened to be refused).
        examples: [
          [{ kind: "apply", configJson: '{"routing":{"highWatermark":0.85}}', dryRun: false }],
          [{ kind: "apply", configJson: '{"lanes":{"default":{"workers":4294967296}}}', dryRun: false }],
          [{ kind: "submit", idempotencyKey: "example", sku: "sku-a", tier: 1, waitMode: 2 }],
          [{ kind: "submit", idempotencyKey: "example", sku: "", tier: 1, waitMode: 2 }],
        ],
      },
    );
    // The input reached both sides: some calls succeeded, some were refused.
    expect(seen.get(status.OK)).toBeGreaterThan(0);
    expect(seen.get(status.INVALID_ARGUMENT)).toBeGreaterThan(0);
    expect(configs.applied).toBeGreaterThan(0);
    expect(configs.refused).toBeGreaterThan(0);
  });

  it("afterwards the server is SERVING and delivers a normal order", async () => {
    const restored = await call(
      c.admin.applyConfig,
      c.admin,
      { preset: "adaptive", dryRun: false },
      { metadata: auth },
    );
    expect(restored.errors).toEqual([]);
    const Health = makeClientConstructor(healthService, "grpc.health.v1.Health");
    const health = new Health(server.address, credentials.createInsecure()) as unknown as {
      check(req: { service: string }, cb: (err: Error | null, res: { status: string }) => void): void;
      close(): void;
    };
    const res = await new Promise<{ status: string }>((resolve, reject) =>
      health.check({ service: "" }, (err, r) => (err ? reject(err) : resolve(r))),
    );
    health.close();
    expect(res.status).toBe("SERVING");
    const order = await call(c.dispatch.submitOrder, c.dispatch, {
      idempotencyKey: `after-hostile-${process.pid}`,
      sku: "sku-a",
      tier: CustomerTier.CUSTOMER_TIER_STANDARD,
      waitMode: WaitMode.WAIT_MODE_DELIVERED,
    });
    expect(order.order?.state).toBe(OrderState.ORDER_STATE_DELIVERED);
  });
});
