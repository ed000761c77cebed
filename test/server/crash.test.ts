// kill -9 mid-load, restart on the same SQLite file: every acknowledged order ends DELIVERED or
// FAILED, none is lost, no card is given twice (checked with the store's audit()).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CustomerTier, FaultKind, OrderState } from "../../proto/gen/rushhour/v1/common.ts";
import { WaitMode } from "../../proto/gen/rushhour/v1/dispatch.ts";
import { expectCleanLedger } from "../support/ledger-audit.ts";
import { type SpawnedServer, spawnServe } from "../support/spawn.ts";
import { bearer, call, clients } from "./grpc/clients.ts";

const dir = mkdtempSync(join(tmpdir(), "rushhour-crash-"));
const storeUrl = `sqlite:${join(dir, "crash.db")}`;
const TOTAL = 600;
const CONCURRENCY = 40;
let running: SpawnedServer | null = null;

afterAll(async () => {
  await running?.kill();
  rmSync(dir, { recursive: true, force: true });
});

const TERMINAL = new Set([OrderState.ORDER_STATE_DELIVERED, OrderState.ORDER_STATE_FAILED]);

describe("crash and recovery", () => {
  it("loses no acknowledged order and gives no card twice across a kill -9", async () => {
    const args = ["--store", storeUrl, "--skus", "sku-1,sku-2,sku-3", "--seed-stock", "1000"];
    running = await spawnServe(args);
    let c = clients(running.address);
    // Some provider errors so that retries are in flight at the crash too.
    await call(
      c.admin.injectFault,
      c.admin,
      {
        fault: {
          providerId: "",
          kind: FaultKind.FAULT_KIND_ERROR,
          probability: 0.2,
          latencyMs: 0,
          durationMs: 0,
        },
      },
      { metadata: bearer(running.adminToken) },
    );

    const acknowledged = new Map<string, string>(); // idempotency key -> order id
    let next = 0;
    let killed = false;
    const victim = running;
    const worker = async () => {
      while (next < TOTAL && !killed) {
        const i = next++;
        try {
          const res = await call(c.dispatch.submitOrder, c.dispatch, {
            idempotencyKey: `crash-${i}`,
            sku: `sku-${(i % 3) + 1}`,
            tier: i % 10 === 0 ? CustomerTier.CUSTOMER_TIER_VIP : CustomerTier.CUSTOMER_TIER_STANDARD,
            waitMode: WaitMode.WAIT_MODE_ACCEPTED,
          });
          acknowledged.set(`crash-${i}`, res.order!.orderId);
          if (acknowledged.size === TOTAL / 2 && !killed) {
            killed = true;
            await victim.kill();
          }
        } catch {
          // Calls cut by the crash were never acknowledged: they may or may not exist; that is allowed.
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(await victim.exited).toBe("SIGKILL");
    c.close();
    expect(acknowledged.size).toBeGreaterThanOrEqual(TOTAL / 2);

    running = await spawnServe(args);
    expect(running.stderr.join("\n")).toMatch(/recovered \d+ unfinished orders/);
    c = clients(running.address);
    // Every acknowledged order reaches a terminal state (polled; the recovered ones finish in the background).
    const pending = new Set(acknowledged.values());
    while (pending.size > 0) {
      for (const orderId of [...pending]) {
        const res = await call(c.dispatch.getOrder, c.dispatch, { orderId });
        if (TERMINAL.has(res.order!.state)) pending.delete(orderId);
      }
      if (pending.size > 0) await new Promise((r) => setTimeout(r, 100));
    }
    const codes = new Map<string, string>();
    for (const [key, orderId] of acknowledged) {
      const res = await call(c.dispatch.getOrder, c.dispatch, { idempotencyKey: key });
      expect(res.order?.orderId).toBe(orderId);
      if (res.order?.state === OrderState.ORDER_STATE_DELIVERED) {
        expect(codes.has(res.order.cardCode)).toBe(false);
        codes.set(res.order.cardCode, orderId);
      }
    }
    expect(codes.size).toBeGreaterThan(0);
    c.close();
    expect(await running.stop()).toBe(0);
    running = null;

    const audit = await expectCleanLedger(storeUrl);
    expect(audit.totalOrders).toBeGreaterThanOrEqual(acknowledged.size);
  });
});
