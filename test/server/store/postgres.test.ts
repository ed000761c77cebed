import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore, seedStock } from "../../../server/store/open.ts";
import { CLAIM_SQL } from "../../../server/store/postgres.ts";
import { startTestPostgres, type TestPostgres } from "../../support/pg.ts";
import { runAllocatorProcesses } from "./allocators.ts";
import { makeClaimHistory, order, storeCases } from "./store.cases.ts";

let pg: TestPostgres;
beforeAll(async () => {
  pg = await startTestPostgres();
});
afterAll(async () => {
  await pg?.stop();
});

storeCases("postgres", { open: async () => openStore(await pg.freshStoreUrl(), { poolSize: 32 }) });

describe("postgres store", () => {
  it("allocates in one CTE with FOR UPDATE SKIP LOCKED, never the IN-subquery LIMIT form", () => {
    expect(CLAIM_SQL).toMatch(/^\s*WITH /);
    expect(CLAIM_SQL).toMatch(/FOR UPDATE SKIP LOCKED\s+LIMIT 1/);
    expect(CLAIM_SQL).not.toMatch(/IN\s*\(\s*SELECT/i);
  });

  it("never hands one card to two of two processes sharing one database", async () => {
    const url = await pg.freshStoreUrl();
    const total = 3000;
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
    const url = await pg.freshStoreUrl();
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

  it("creates its schema once when several processes open a fresh database at the same moment", async () => {
    const url = await pg.freshStoreUrl();
    const stores = await Promise.all(Array.from({ length: 4 }, () => openStore(url, { poolSize: 2 })));
    await stores[0]!.importCards("sku-a", ["A1"]);
    expect(await stores[3]!.stock("sku-a")).toBe(1);
    for (const s of stores) await s.close();
  });

  it("keeps orders and claims after close and reopen", async () => {
    const url = await pg.freshStoreUrl();
    const a = await openStore(url, { poolSize: 2 });
    await a.importCards("sku-a", ["A1", "A2"]);
    await a.recordOrder(order("o1"));
    const c1 = await a.claim("o1", "sku-a");
    await a.updateOrder("o1", { state: "ISSUING" });
    await a.close();
    const b = await openStore(url, { poolSize: 2 });
    expect((await b.nonTerminalOrders()).map((o) => [o.orderId, o.state])).toEqual([["o1", "ISSUING"]]);
    expect(await b.claim("o1", "sku-a")).toEqual(c1);
    expect(await b.stock("sku-a")).toBe(1);
    await b.close();
  });

  it("opens a database of the first schema (no client or timings columns) and carries on with it", async () => {
    const url = await pg.freshStoreUrl();
    const old = new Client({ connectionString: url });
    await old.connect();
    try {
      await old.query(`CREATE TABLE orders (
        order_id text PRIMARY KEY, idempotency_key text NOT NULL UNIQUE, sku text NOT NULL, tier text NOT NULL,
        state text NOT NULL, attempts integer NOT NULL, card_id text, card_code text, lane text, cluster text,
        provider_id text, reject_reason text, failure_reason text, from_cache boolean NOT NULL,
        canary boolean NOT NULL, accepted_at bigint NOT NULL, finished_at bigint)`);
      await old.query(
        `INSERT INTO orders VALUES ('old-1', 'key-old-1', 'sku-a', 'standard', 'DELIVERED', 1, '1', 'GC-OLD',
         'default', 'primary', 'p1', NULL, NULL, false, false, 1700000000000, 1700000000020)`,
      );
    } finally {
      await old.end();
    }
    const s = await openStore(url, { poolSize: 2 });
    expect(await s.getOrder("old-1")).toMatchObject({ cardCode: "GC-OLD", clientId: null, totalMs: null });
    await s.recordOrder(order("new-1", { clientId: "client-a" }));
    await s.updateOrder("new-1", { state: "DELIVERED", issuingMs: 3.125, totalMs: 9.75 });
    expect(await s.getOrder("new-1")).toMatchObject({
      clientId: "client-a",
      issuingMs: 3.125,
      totalMs: 9.75,
    });
    await s.close();
  });

  it("names the accepted forms and the server when it cannot connect", async () => {
    await expect(openStore("postgres://nobody@127.0.0.1:1/none")).rejects.toThrow(
      /cannot open the PostgreSQL store/,
    );
  });
});

describe("postgres card history", () => {
  it("records every owner of a card and lets the audit find a ghost in it", async () => {
    const url = await pg.freshStoreUrl();
    const s = await openStore(url, { poolSize: 4 });
    const { slot, other } = await makeClaimHistory(s);

    const raw = new Client(url);
    await raw.connect();
    const rows = (
      await raw.query("SELECT card_id::text AS card, owner_id AS owner, outcome FROM card_claims ORDER BY id")
    ).rows.map((r) => Object.values(r).join(" "));
    const [c1, c2] = [slot.card.cardId, other.card.cardId];
    expect(rows).toEqual([
      `${c1} slot-1 transferred`,
      `${c1} o1 delivered`,
      `${c2} o2 released`,
      `${c2} o3 held`,
    ]);
    expect((await s.audit()).duplicateCards).toBe(0);
    // A second live owner of a delivered card: the unique index forbids it, so drop the index to
    // see that the audit finds such a ghost on its own.
    await raw.query("DROP INDEX card_claims_live");
    await raw.query("INSERT INTO card_claims (card_id, owner_id, outcome) VALUES ($1, 'o9', 'held')", [c1]);
    await raw.end();
    expect((await s.audit()).duplicateCards).toBe(1);
    await s.close();
  });
});
