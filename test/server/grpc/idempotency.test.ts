// An idempotency key names one request: the same key with another SKU or tier is refused, and keys are
// compared as the bytes the client sent (invalid UTF-8 is refused rather than folded into U+FFFD).
// Real gRPC over loopback against a spawned `rushhour serve`.
import { Client, credentials, type ServiceError, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CustomerTier, FaultKind, OrderState } from "../../../proto/gen/rushhour/v1/common.ts";
import {
  type DispatchServiceClient,
  GetOrderRequest,
  SubmitOrderRequest,
  SubmitOrderResponse,
  WaitMode,
} from "../../../proto/gen/rushhour/v1/dispatch.ts";
import { type SpawnedServer, spawnServe } from "../../support/spawn.ts";
import { call, clearEverywhere, clients, failure, injectEverywhere, sendRaw } from "./clients.ts";

let server: SpawnedServer;
let c: ReturnType<typeof clients>;
let raw: Client;
let key = 0;
const nextKey = () => `idem-${process.pid}-${++key}`;

beforeAll(async () => {
  server = await spawnServe(["--skus", "sku-a,sku-b", "--seed-stock", "500"]);
  c = clients(server.address);
  raw = new Client(server.address, credentials.createInsecure());
});

afterAll(async () => {
  raw?.close();
  c?.close();
  await server?.stop();
});

const TERMINAL = [
  OrderState.ORDER_STATE_DELIVERED,
  OrderState.ORDER_STATE_FAILED,
  OrderState.ORDER_STATE_REJECTED,
];

const submit = (d: DispatchServiceClient, req: Partial<SubmitOrderRequest>) =>
  call(d.submitOrder, d, {
    idempotencyKey: nextKey(),
    sku: "sku-a",
    tier: CustomerTier.CUSTOMER_TIER_STANDARD,
    waitMode: WaitMode.WAIT_MODE_DELIVERED,
    ...req,
  });

describe("one idempotency key, one request", () => {
  it("refuses the same key with another SKU with FAILED_PRECONDITION naming sku", async () => {
    const idempotencyKey = nextKey();
    const first = await submit(c.dispatch, { idempotencyKey });
    expect(first.order?.state).toBe(OrderState.ORDER_STATE_DELIVERED);
    const err = await failure(submit(c.dispatch, { idempotencyKey, sku: "sku-b" }));
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.details).toMatch(/^sku: /);
    expect(err.details).toContain("sku-a");
    // The same request again is still a replay.
    const again = await submit(c.dispatch, { idempotencyKey });
    expect(again.replayed).toBe(true);
    expect(again.order?.cardCode).toBe(first.order?.cardCode);
  });

  it("refuses the same key with another tier with FAILED_PRECONDITION naming tier", async () => {
    const idempotencyKey = nextKey();
    await submit(c.dispatch, { idempotencyKey });
    const err = await failure(submit(c.dispatch, { idempotencyKey, tier: CustomerTier.CUSTOMER_TIER_VIP }));
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.details).toMatch(/^tier: /);
    // UNSPECIFIED means STANDARD, so it is the same request.
    const same = await submit(c.dispatch, { idempotencyKey, tier: CustomerTier.CUSTOMER_TIER_UNSPECIFIED });
    expect(same.replayed).toBe(true);
  });

  it("refuses a different SKU while the original is still in flight", async () => {
    // Providers that never answer keep the first order running while the second request arrives.
    await injectEverywhere(c.admin, server.adminToken, FaultKind.FAULT_KIND_BLACKHOLE);
    try {
      const idempotencyKey = nextKey();
      const first = await submit(c.dispatch, { idempotencyKey, waitMode: WaitMode.WAIT_MODE_ACCEPTED });
      expect(TERMINAL).not.toContain(first.order?.state);
      const err = await failure(
        submit(c.dispatch, { idempotencyKey, sku: "sku-b", waitMode: WaitMode.WAIT_MODE_ACCEPTED }),
      );
      expect(err.code).toBe(status.FAILED_PRECONDITION);
      expect(err.details).toMatch(/^sku: /);
      const got = await call(c.dispatch.getOrder, c.dispatch, { idempotencyKey });
      expect(got.order?.orderId).toBe(first.order?.orderId);
      expect(got.order?.sku).toBe("sku-a");
    } finally {
      await clearEverywhere(c.admin, server.adminToken);
    }
  });

  it("50 concurrent mixed-SKU submits of one key: the one order with the SKU asked for, or FAILED_PRECONDITION", async () => {
    const idempotencyKey = nextKey();
    const asks = Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? "sku-a" : "sku-b"));
    const answers = await Promise.all(
      asks.map((sku) =>
        submit(c.dispatch, { idempotencyKey, sku }).then(
          (res) => ({ sku, res, err: null }),
          (err: ServiceError) => ({ sku, res: null, err }),
        ),
      ),
    );
    const ok = answers.filter((a) => a.res !== null);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const a of answers) {
      if (a.res !== null) expect(a.res.order?.sku).toBe(a.sku);
      else {
        expect(a.err?.code).toBe(status.FAILED_PRECONDITION);
        expect(a.err?.details).toMatch(/^sku: /);
      }
    }
    expect(new Set(ok.map((a) => a.res?.order?.orderId)).size).toBe(1);
    expect(ok.filter((a) => a.res?.replayed === false)).toHaveLength(1);
    const stored = await call(c.dispatch.getOrder, c.dispatch, { idempotencyKey });
    expect(stored.order?.orderId).toBe(ok[0]?.res?.order?.orderId);
    // Everyone who asked for the stored order's SKU got it; everyone else was refused.
    const winner = stored.order?.sku;
    expect(ok.length).toBe(asks.filter((s) => s === winner).length);
  });
});

/** A SubmitOrderRequest whose idempotency_key (field 1) is exactly `key`, valid UTF-8 or not. */
function submitBytes(key: Buffer): Buffer {
  const rest = SubmitOrderRequest.encode({
    idempotencyKey: "",
    sku: "sku-a",
    tier: CustomerTier.CUSTOMER_TIER_STANDARD,
    waitMode: WaitMode.WAIT_MODE_ACCEPTED,
  }).finish();
  return Buffer.concat([Buffer.from([0x0a, key.length]), key, rest]);
}

describe("idempotency keys as bytes", () => {
  const SUBMIT = "/rushhour.v1.DispatchService/SubmitOrder";
  const GET = "/rushhour.v1.DispatchService/GetOrder";
  const prefix = Buffer.from(`utf8-${process.pid}-`);

  it("refuses an idempotency key that is not valid UTF-8 with INVALID_ARGUMENT naming idempotency_key", async () => {
    // 0xff and 0xfe are never valid UTF-8; a lenient decoder turns both into U+FFFD, one key.
    const first = await sendRaw(raw, SUBMIT, submitBytes(Buffer.concat([prefix, Buffer.from([0xff])])));
    const second = await sendRaw(raw, SUBMIT, submitBytes(Buffer.concat([prefix, Buffer.from([0xfe])])));
    for (const r of [first, second]) {
      expect(r.code).toBe(status.INVALID_ARGUMENT);
      expect(r.details).toMatch(/^idempotency_key: /);
    }
    // Nothing was recorded under the folded key.
    const folded = await failure(
      call(c.dispatch.getOrder, c.dispatch, { idempotencyKey: `${prefix.toString()}\uFFFD` }),
    );
    expect(folded.code).toBe(status.NOT_FOUND);
  });

  it("accepts valid multi-byte UTF-8 keys as sent, and GetOrder by a non-UTF-8 key is refused", async () => {
    const key = Buffer.from(`${prefix.toString()}ключ-\u{1F511}`);
    const ok = await sendRaw(raw, SUBMIT, submitBytes(key));
    expect(ok.code).toBe(0);
    const order = SubmitOrderResponse.decode(ok.reply!).order;
    expect(order?.idempotencyKey).toBe(key.toString("utf8"));

    const byKey = Buffer.from(GetOrderRequest.encode({ idempotencyKey: key.toString("utf8") }).finish());
    expect((await sendRaw(raw, GET, byKey)).code).toBe(0);
    // The same key with its last byte cut is a truncated 4-byte sequence: refused, not matched.
    const cut = key.subarray(0, key.length - 1);
    const bad = Buffer.concat([Buffer.from([0x12, cut.length]), cut]);
    const refused = await sendRaw(raw, GET, bad);
    expect(refused.code).toBe(status.INVALID_ARGUMENT);
    expect(refused.details).toMatch(/^idempotency_key: /);
  });
});
