// Admin.waitUntilIdle: a measured run after a warm-up waits until the server holds no order (a run's drain
// ends on the client's side; the server goes on serving what it queued). A real local stack over gRPC
// whose provider answers in ~300 ms, so orders accepted at once are still in flight when the wait starts.
import { credentials } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Admin } from "../../load/admin.ts";
import { type LocalStack, startLocalStack } from "../../load/local-stack.ts";
import { CustomerTier } from "../../proto/gen/rushhour/v1/common.ts";
import { DispatchServiceClient, WaitMode } from "../../proto/gen/rushhour/v1/dispatch.ts";
import { call } from "../server/grpc/clients.ts";

describe("Admin.waitUntilIdle", () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack({
      providers: [{ id: "slow", p50Ms: 300, p99Ms: 400, capacity: 100, errorRate: 0 }],
      config: "adaptive",
      skuCount: 1,
      seed: 3,
      store: "memory:",
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it("resolves once every accepted order has finished, not before", async () => {
    const admin = new Admin(stack.target, stack.adminToken);
    const dispatch = new DispatchServiceClient(stack.target, credentials.createInsecure());
    try {
      await admin.importCards(
        "sku-0",
        Array.from({ length: 40 }, (_, i) => `code-${i}`),
      );
      // Accepted, not waited for: the ~300 ms provider calls go on at the server.
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          call(dispatch.submitOrder, dispatch, {
            idempotencyKey: `idle-${i}`,
            sku: "sku-0",
            tier: CustomerTier.CUSTOMER_TIER_STANDARD,
            waitMode: WaitMode.WAIT_MODE_ACCEPTED,
          }),
        ),
      );
      const busy = await admin.getSnapshot();
      expect(busy.lanes.some((l) => l.inFlight + l.queueDepth > 0)).toBe(true);
      expect(await admin.waitUntilIdle(60_000, 20)).toBe(true);
      const idle = await admin.getSnapshot();
      expect(idle.lanes.every((l) => l.inFlight === 0 && l.queueDepth === 0)).toBe(true);
      const c = idle.counters!;
      expect(c.accepted).toBe(40);
      expect(c.delivered + c.failed).toBe(40);
    } finally {
      dispatch.close();
      admin.close();
    }
  }, 120_000);
});
