import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore, seedStock } from "../../../server/store/open.ts";
import { CLAIM_SQL, postgresStats } from "../../../server/store/postgres.ts";
import type { Store } from "../../../server/store/types.ts";
import { startTestPostgres, type TestPostgres } from "../../support/pg.ts";
import { runAllocatorProcesses } from "./allocators.ts";
import { expectNothingLostAfterKill } from "./crash.ts";
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

describe("postgres group commit", () => {
  /** Every backend of this cluster waiting on a lock, as pg_stat_activity shows it. */
  async function lockWaiters(raw: Client): Promise<number[]> {
    const r = await raw.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
    );
    return r.rows.map((row) => row.pid);
  }

  /** Waits (on the database's own report, no clock) until some backend queues behind the lock. */
  async function untilWaiting(raw: Client): Promise<number[]> {
    for (;;) {
      const pids = await lockWaiters(raw);
      if (pids.length > 0) return pids;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  it("answers a batch of mixed writes exactly as one statement per call does", async () => {
    // The same script on two stores: group commit (all issued at once, so they share statements)
    // and one statement per call (issued one by one). Successes, replays and refusals alike.
    async function script(s: Store, together: boolean): Promise<unknown[]> {
      await s.importCards("sku-a", ["A1", "A2", "A3"]);
      await s.importCards("sku-b", ["B1"]);
      await s.recordOrder(order("held-b"));
      await s.claim("held-b", "sku-b");
      await s.recordOrder(order("done"));
      const done = await s.claim("done", "sku-a");
      const ops: (() => Promise<unknown>)[] = [
        // First: a batch counts stock in its snapshot, before its own claims.
        () => s.stock("sku-a"),
        () => s.stock("sku-a"),
        () => s.stock("sku-b"),
        () => s.recordOrder(order("n1")),
        () => s.recordOrder(order("n2")),
        () => s.recordOrder(order("replay", { idempotencyKey: "key-held-b" })),
        () => s.updateOrder("done", { state: "ISSUING", attempts: 1 }),
        () => s.updateOrder("nobody", { state: "ISSUING", attempts: 1 }),
        () => s.claim("c1", "sku-a"),
        () => s.claim("c2", "sku-a"),
        () => s.claim("c3", "sku-a"),
        () => s.claim("held-b", "sku-a"),
        () => s.claim("c4", "sku-none"),
        () => s.deliver("done", done.kind === "claimed" ? done.card.cardId : "0"),
        () => s.deliver("not-owner", "1"),
        () => s.release("not-owner", "2"),
        () => s.release("x", "no-such-card"),
      ];
      const settle = (p: Promise<unknown>) =>
        p.then(
          (v) => v,
          (e: Error) => ({ error: e.message }),
        );
      if (together) return Promise.all(ops.map((op) => settle(op())));
      const out: unknown[] = [];
      for (const op of ops) out.push(await settle(op()));
      return out;
    }
    const batched = await openStore(await pg.freshStoreUrl());
    const single = await openStore(`${await pg.freshStoreUrl()}&batches=0`);
    const got = await script(batched, true);
    expect(got).toEqual(await script(single, false));
    const stats = postgresStats(batched)!;
    expect(stats.batches).toBeGreaterThan(0);
    expect(stats.refused).toBe(0);
    expect(await batched.audit()).toEqual(await single.audit());
    await batched.close();
    await single.close();
  });

  it("acknowledges a write only after the statement carrying it has committed", async () => {
    const url = await pg.freshStoreUrl();
    const s = await openStore(url);
    await s.importCards("sku-a", ["A1"]);
    const raw = new Client(url);
    await raw.connect();
    // Hold the orders table: the batch's statement queues behind the lock, uncommitted.
    await raw.query("BEGIN");
    await raw.query("LOCK TABLE orders IN EXCLUSIVE MODE");
    const acked: string[] = [];
    const writes = ["w1", "w2", "w3"].map((id) => s.recordOrder(order(id)).then(() => acked.push(id)));
    const waiting = await untilWaiting(raw);
    expect(waiting.length).toBeGreaterThan(0);
    expect(acked).toEqual([]);
    await raw.query("COMMIT");
    await Promise.all(writes);
    // What was acknowledged is there for any other connection.
    const r = await raw.query("SELECT order_id FROM orders ORDER BY order_id");
    expect(r.rows.map((row) => row.order_id)).toEqual(["w1", "w2", "w3"]);
    await raw.end();
    await s.close();
  });

  it("fails the writes of a batch whose backend is terminated, and carries on with a new connection", async () => {
    const url = await pg.freshStoreUrl();
    const s = await openStore(url);
    const raw = new Client(url);
    await raw.connect();
    try {
      await raw.query("BEGIN");
      await raw.query("LOCK TABLE orders IN EXCLUSIVE MODE");
      const writes = ["l1", "l2"].map((id) =>
        s.recordOrder(order(id)).then(
          () => "acknowledged",
          (e: Error) => e.message,
        ),
      );
      const [pid] = await untilWaiting(raw);
      await raw.query("SELECT pg_terminate_backend($1)", [pid]);
      await raw.query("COMMIT");
      // A terminated backend may have gone after its commit: the callers hear the error (and retry
      // with their key), they are not answered by a second write that could find the first.
      expect(await Promise.all(writes)).toEqual([
        expect.stringMatching(/terminat/),
        expect.stringMatching(/terminat/),
      ]);
      expect(await s.getOrder("l1")).toBeUndefined();
      expect((await s.recordOrder(order("l3"))).created).toBe(true);
    } finally {
      await raw.end();
      await s.close();
    }
  });

  it("keeps the claim history complete when claims, deliveries and releases go in batches", async () => {
    const url = await pg.freshStoreUrl();
    const s = await openStore(url);
    await seedStock(s, ["sku-a", "sku-b"], 150, "GC", { seed: 3 });
    const owners = Array.from({ length: 200 }, (_, i) => `h${i}`);
    const claims = await Promise.all(owners.map((o, i) => s.claim(o, i % 2 ? "sku-a" : "sku-b")));
    const cards = claims.map((c) => (c.kind === "claimed" ? c.card.cardId : null));
    expect(new Set(cards).size).toBe(200);
    // Half delivered, half released, all at once; then new owners take the released cards.
    const ends = await Promise.all(
      owners.map((o, i) => (i < 100 ? s.deliver(o, cards[i]!) : s.release(o, cards[i]!))),
    );
    expect(ends.every((e) => e.kind === "ok")).toBe(true);
    const again = await Promise.all(
      owners.slice(100).map((o, i) => s.claim(`again-${o}`, i % 2 ? "sku-a" : "sku-b")),
    );
    expect(again.every((c) => c.kind === "claimed")).toBe(true);
    expect(postgresStats(s)!.batches).toBeGreaterThan(0);

    const raw = new Client(url);
    await raw.connect();
    const r = await raw.query<{ outcome: string; n: number }>(
      "SELECT outcome, count(*)::int AS n FROM card_claims GROUP BY outcome ORDER BY outcome",
    );
    expect(r.rows).toEqual([
      { outcome: "delivered", n: 100 },
      { outcome: "held", n: 100 },
      { outcome: "released", n: 100 },
    ]);
    // Every owner of a card has its row, and every held card its one open row.
    const held = await raw.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM cards c WHERE c.owner_id IS NOT NULL AND NOT EXISTS (
         SELECT 1 FROM card_claims h WHERE h.card_id = c.id AND h.owner_id = c.owner_id
           AND h.outcome IN ('held', 'delivered'))`,
    );
    expect(held.rows[0]!.n).toBe(0);
    await raw.end();
    expect(await s.audit()).toMatchObject({ duplicateCards: 0, failedHoldingCards: 0 });
    await s.close();
  });

  it("keeps every acknowledged order, claim and delivery of a process killed mid-batch", async () => {
    // 16 writers, 4 group-commit statements in flight: the kill lands with batches out.
    await expectNothingLostAfterKill(await pg.freshStoreUrl(), 300);
  });
});
