import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore, seedStock } from "../../../server/store/open.ts";
import { CLAIM_SQL } from "../../../server/store/postgres.ts";
import { startTestPostgres, type TestPostgres } from "../../support/pg.ts";
import { runAllocatorProcesses } from "./allocators.ts";
import { order, storeCases } from "./store.cases.ts";

let pg: TestPostgres;
beforeAll(async () => {
  pg = await startTestPostgres();
});
afterAll(async () => {
  await pg?.stop();
});

storeCases("postgres", { open: async () => openStore(await pg.freshDatabase(), { poolSize: 32 }) });

describe("postgres store", () => {
  it("allocates in one CTE with FOR UPDATE SKIP LOCKED, never the IN-subquery LIMIT form", () => {
    expect(CLAIM_SQL).toMatch(/^\s*WITH /);
    expect(CLAIM_SQL).toMatch(/FOR UPDATE SKIP LOCKED\s+LIMIT 1/);
    expect(CLAIM_SQL).not.toMatch(/IN\s*\(\s*SELECT/i);
  });

  it("never hands one card to two of two processes sharing one database", async () => {
    const url = await pg.freshDatabase();
    const total = 4000;
    const setup = await openStore(url);
    await seedStock(setup, ["sku-hot"], total, "GC", { seed: 1 });
    const reports = await runAllocatorProcesses(
      ["a", "b"].map((p) => ({
        url,
        sku: "sku-hot",
        ownerPrefix: p,
        stores: 1,
        allocators: 16,
        poolSize: 16,
      })),
    );
    const cards = reports.flatMap((r) => r.cards);
    expect(reports.flatMap((r) => r.errors)).toEqual([]);
    // Both processes really took part.
    for (const r of reports) expect(r.cards.length).toBeGreaterThan(total / 10);
    expect(cards.length).toBe(total);
    expect(new Set(cards).size).toBe(total);
    expect(await setup.stock("sku-hot")).toBe(0);
    expect(await setup.audit()).toMatchObject({ duplicateCards: 0, totalCards: total });
    await setup.close();
  });

  it("records an idempotency key once when two connections race", async () => {
    const url = await pg.freshDatabase();
    const a = await openStore(url, { poolSize: 8 });
    const b = await openStore(url, { poolSize: 8 });
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        (i % 2 ? a : b).recordOrder(order(`o-${i}`, { idempotencyKey: "same-key" })),
      ),
    );
    expect(results.filter((r) => r.created).length).toBe(1);
    expect(new Set(results.map((r) => r.order.orderId)).size).toBe(1);
    expect((await a.audit()).totalOrders).toBe(1);
    await a.close();
    await b.close();
  });

  it("names the accepted forms and the server when it cannot connect", async () => {
    await expect(openStore("postgres://nobody@127.0.0.1:1/none")).rejects.toThrow(
      /cannot open the PostgreSQL store/,
    );
  });
});
