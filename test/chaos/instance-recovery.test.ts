// Two `rushhour serve --instance` processes on one PostgreSQL database, both with orders in flight: after
// a kill -9, the restarted instance takes back its own unfinished orders and none of its live sibling's
// (which would otherwise be worked by two processes at once).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CustomerTier } from "../../proto/gen/rushhour/v1/common.ts";
import { WaitMode } from "../../proto/gen/rushhour/v1/dispatch.ts";
import { openStore } from "../../server/store/open.ts";
import { startThrowawayPostgres, type ThrowawayPostgres } from "../../server/store/pg-cluster.ts";
import { call, clients } from "../server/grpc/clients.ts";
import { type SpawnedServer, spawnServe } from "../support/spawn.ts";

const ORDERS = 15;
let pg: ThrowawayPostgres;
const dir = mkdtempSync(join(tmpdir(), "rushhour-instance-test-"));
const running: SpawnedServer[] = [];

/**
 * Providers so slow, and a provider timeout so long, that every order is still issuing when the instance is
 * killed: with the preset's timeout the orders ran out of attempts and FAILED while a loaded machine was
 * still submitting, and fewer than all of them were open.
 */
const spec = join(dir, "slow.json");
writeFileSync(
  spec,
  JSON.stringify({ providers: [{ id: "slow", p50Ms: 30_000, p99Ms: 40_000, capacity: 100, errorRate: 0 }] }),
);
const config = join(dir, "patient.json");
writeFileSync(config, JSON.stringify({ extends: "adaptive", provider: { timeoutMs: 600_000 } }));

const serve = async (instance: string) => {
  const s = await spawnServe([
    "--store",
    pg.url,
    "--skus",
    "sku-a",
    "--seed-stock",
    "200",
    "--providers",
    `local:${spec}`,
    "--config",
    config,
    "--instance",
    instance,
  ]);
  running.push(s);
  return s;
};

async function submit(s: SpawnedServer, prefix: string): Promise<string[]> {
  const c = clients(s.address);
  try {
    const ids: string[] = [];
    for (let i = 0; i < ORDERS; i++) {
      const res = await call(c.dispatch.submitOrder, c.dispatch, {
        idempotencyKey: `${prefix}-${i}`,
        sku: "sku-a",
        tier: CustomerTier.CUSTOMER_TIER_STANDARD,
        waitMode: WaitMode.WAIT_MODE_ACCEPTED,
      });
      ids.push(res.order?.orderId as string);
    }
    return ids;
  } finally {
    c.close();
  }
}

beforeAll(async () => {
  pg = await startThrowawayPostgres();
});

afterAll(async () => {
  await Promise.all(running.map((s) => s.kill()));
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("serve --instance on a shared PostgreSQL", () => {
  it("recovers only the restarted instance's own orders", { timeout: 180_000 }, async () => {
    const a = await serve("a");
    const b = await serve("b");
    const idsA = await submit(a, "a");
    const idsB = await submit(b, "b");
    expect(idsA.every((id) => id.startsWith("o-a."))).toBe(true);
    expect(idsB.every((id) => id.startsWith("o-b."))).toBe(true);

    const store = await openStore(pg.url);
    try {
      const open = await store.nonTerminalOrders();
      expect(open.length).toBe(2 * ORDERS);
    } finally {
      await store.close();
    }

    await a.kill();
    const again = await serve("a");
    const recovered = again.stderr
      .map((l) => /recovered (\d+) unfinished orders/.exec(l))
      .find((m) => m !== null);
    // Every one of a's orders, none of b's (b is alive and still working its own).
    expect(Number(recovered?.[1])).toBe(ORDERS);
    // The restarted instance names its new orders after itself too, and never reuses an id.
    const [next] = await submit(again, "a2");
    expect(next).toMatch(/^o-a\./);
    expect(idsA).not.toContain(next);
  });

  it("refuses a bad instance name", async () => {
    await expect(serve("Bad Name")).rejects.toThrow(/--instance must be 1-32 of \[a-z0-9-\]/);
  });
});
