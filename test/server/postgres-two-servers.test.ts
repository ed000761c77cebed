// Two `rushhour serve` processes sharing one PostgreSQL database: orders to both compete for the same
// card pool and no card is ever handed out twice.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CustomerTier, OrderState } from "../../proto/gen/rushhour/v1/common.ts";
import { WaitMode } from "../../proto/gen/rushhour/v1/dispatch.ts";
import { openStore } from "../../server/store/open.ts";
import { startThrowawayPostgres, type ThrowawayPostgres } from "../../server/store/pg-cluster.ts";
import { type SpawnedServer, spawnServe } from "../support/spawn.ts";
import { call, clients } from "./grpc/clients.ts";

const ORDERS = 600;
let pg: ThrowawayPostgres;
const servers: SpawnedServer[] = [];

beforeAll(async () => {
  pg = await startThrowawayPostgres();
  // The first seeds the empty pool; the second finds stock and seeds nothing.
  servers.push(await spawnServe(["--store", pg.url, "--skus", "sku-a", "--seed-stock", "800"]));
  servers.push(await spawnServe(["--store", pg.url, "--skus", "sku-a", "--seed-stock", "800"]));
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await pg?.stop();
});

describe("two servers, one PostgreSQL database", () => {
  it("never gives one card to two orders", async () => {
    const cs = servers.map((s) => clients(s.address));
    const codes: string[] = [];
    let next = 0;
    const worker = async (w: number) => {
      const c = cs[w % cs.length]!;
      while (next < ORDERS) {
        const i = next++;
        const res = await call(c.dispatch.submitOrder, c.dispatch, {
          idempotencyKey: `pg-${i}`,
          sku: "sku-a",
          tier: CustomerTier.CUSTOMER_TIER_STANDARD,
          waitMode: WaitMode.WAIT_MODE_DELIVERED,
        });
        if (res.order?.state === OrderState.ORDER_STATE_DELIVERED) codes.push(res.order.cardCode);
      }
    };
    await Promise.all(Array.from({ length: 32 }, (_, w) => worker(w)));
    for (const c of cs) c.close();
    expect(codes.length).toBeGreaterThan(ORDERS * 0.9);
    expect(new Set(codes).size).toBe(codes.length);
    const store = await openStore(pg.url);
    try {
      const audit = await store.audit();
      expect(audit.totalCards).toBe(800);
      expect(audit.duplicateCards).toBe(0);
      expect(audit.totalOrders).toBe(ORDERS);
    } finally {
      await store.close();
    }
  });
});
