// GetOrder and WatchOrder of a finished order carry the stage timings SubmitOrder returned (issue 17,
// item 9): read back from the ledger once the order has left memory, and after a restart.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CustomerTier, OrderState } from "../../../proto/gen/rushhour/v1/common.ts";
import { type Order, WaitMode, type WatchOrderResponse } from "../../../proto/gen/rushhour/v1/dispatch.ts";
import { type SpawnedServer, spawnServe } from "../../support/spawn.ts";
import { call, clients } from "./clients.ts";

const dir = mkdtempSync(join(tmpdir(), "rushhour-timings-"));
const store = `sqlite:${join(dir, "store.db")}`;
let server: SpawnedServer | undefined;
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function readBack(address: string, orderId: string): Promise<{ got: Order; watched: Order }> {
  const c = clients(address);
  try {
    const got = (await call(c.dispatch.getOrder, c.dispatch, { orderId })).order as Order;
    const watched = await new Promise<Order>((resolve, reject) => {
      const seen: WatchOrderResponse[] = [];
      const stream = c.dispatch.watchOrder({ orderId });
      stream.on("data", (m: WatchOrderResponse) => seen.push(m));
      stream.on("end", () => resolve(seen.at(-1)?.order as Order));
      stream.on("error", reject);
    });
    return { got, watched };
  } finally {
    c.close();
  }
}

describe("stage timings of a finished order", () => {
  it("are the same from SubmitOrder, GetOrder and WatchOrder, also after a restart", async () => {
    server = await spawnServe(["--store", store, "--skus", "sku-a", "--seed-stock", "50"]);
    const c = clients(server.address);
    const sent: Order[] = [];
    try {
      for (let i = 0; i < 5; i++) {
        const res = await call(c.dispatch.submitOrder, c.dispatch, {
          idempotencyKey: `timings-${process.pid}-${i}`,
          sku: "sku-a",
          tier: CustomerTier.CUSTOMER_TIER_STANDARD,
          waitMode: WaitMode.WAIT_MODE_DELIVERED,
        });
        sent.push(res.order as Order);
      }
    } finally {
      c.close();
    }
    for (const order of sent) {
      expect(order.state).toBe(OrderState.ORDER_STATE_DELIVERED);
      // The default local providers take milliseconds: a real stage time, not a placeholder.
      expect(order.timings!.issuingMs).toBeGreaterThan(0);
    }
    const check = async (address: string) => {
      for (const order of sent) {
        const { got, watched } = await readBack(address, order.orderId);
        expect(got.timings).toEqual(order.timings);
        expect(watched.timings).toEqual(order.timings);
        expect(Math.abs(got.finishedAtUnixMs - order.finishedAtUnixMs)).toBeLessThanOrEqual(1);
      }
    };
    await check(server.address);
    await server.stop();
    server = await spawnServe(["--store", store, "--skus", "sku-a", "--seed-stock", "50"]);
    await check(server.address);
  });
});
