import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { openStore, seedStock } from "../../../server/store/open.ts";
import { openSqliteStore } from "../../../server/store/sqlite.ts";
import { runAllocatorProcesses } from "./allocators.ts";
import { expectNothingLostAfterKill } from "./crash.ts";
import { makeClaimHistory, order, storeCases } from "./store.cases.ts";

const dir = mkdtempSync(join(tmpdir(), "rushhour-sqlite-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const nextFile = () => join(dir, `nested/dir/store-${n++}.db`);

storeCases("sqlite (file, group commit)", { open: () => openStore(`sqlite:${nextFile()}`) });
storeCases("sqlite (file, one transaction per call)", {
  open: () => openStore(`sqlite:${nextFile()}`, { groupCommit: false }),
  concurrentCards: 1000,
});

describe("sqlite store", () => {
  it("works in memory too", async () => {
    const s = await openStore("sqlite::memory:");
    await s.importCards("sku-a", ["A1"]);
    expect(await s.stock("sku-a")).toBe(1);
    await s.close();
  });

  it("keeps orders, claims and deliveries after close and reopen", async () => {
    const file = nextFile();
    const a = await openStore(`sqlite:${file}`);
    await a.importCards("sku-a", ["A1", "A2", "A3"]);
    await a.recordOrder(order("o1"));
    const c1 = await a.claim("o1", "sku-a");
    if (c1.kind !== "claimed") throw new Error("no card");
    await a.updateOrder("o1", { state: "ISSUING", cardId: c1.card.cardId, cardCode: c1.card.code });
    await a.recordOrder(order("o2"));
    const c2 = await a.claim("o2", "sku-a");
    if (c2.kind !== "claimed") throw new Error("no card");
    await a.deliver("o2", c2.card.cardId);
    await a.updateOrder("o2", { state: "DELIVERED", cardId: c2.card.cardId, finishedAt: 5 });
    await a.close();

    const b = await openStore(`sqlite:${file}`);
    expect(await b.stock("sku-a")).toBe(1);
    expect((await b.nonTerminalOrders()).map((o) => [o.orderId, o.state, o.cardId])).toEqual([
      ["o1", "ISSUING", c1.card.cardId],
    ]);
    // The recovered order gets its own card back, never a second one.
    expect(await b.claim("o1", "sku-a")).toEqual(c1);
    // ... and a delivered one comes back marked delivered (recovery finishes it without a provider call).
    expect(await b.claim("o2", "sku-a")).toEqual({ ...c2, delivered: true });
    expect((await b.recordOrder(order("o1-again", { idempotencyKey: "key-o1" }))).created).toBe(false);
    expect(await b.audit()).toMatchObject({
      duplicateCards: 0,
      nonTerminalOrders: 1,
      totalOrders: 2,
      totalCards: 3,
    });
    await b.close();
  });
});

describe("sqlite store across processes", () => {
  it("never hands one card to two of 32 allocators in 4 processes on one file", async () => {
    const file = nextFile();
    const url = `sqlite:${file}`;
    const total = 4000;
    const setup = await openStore(url);
    await seedStock(setup, ["sku-hot"], total, "GC", { seed: 3 });
    const reports = await runAllocatorProcesses(
      ["a", "b", "c", "d"].map((p) => ({ url, sku: "sku-hot", ownerPrefix: p, stores: 8, allocators: 8 })),
    );
    const cards = reports.flatMap((r) => r.cards);
    expect(reports.flatMap((r) => r.errors)).toEqual([]);
    expect(reports.filter((r) => r.cards.length > 0).length).toBeGreaterThan(1);
    expect(cards.length).toBe(total);
    expect(new Set(cards).size).toBe(total);
    expect(await setup.stock("sku-hot")).toBe(0);
    expect(await setup.audit()).toMatchObject({ duplicateCards: 0, totalCards: total });
    await setup.close();
  });
});

describe("sqlite card history", () => {
  it("records every owner of a card and lets the audit find a ghost in it", async () => {
    const file = nextFile();
    const s = await openStore(`sqlite:${file}`);
    const { slot, other } = await makeClaimHistory(s);

    const raw = new Database(file);
    const rows = raw
      .prepare("SELECT card_id AS card, owner_id AS owner, outcome FROM card_claims ORDER BY id")
      .all()
      .map((r) => Object.values(r as object).join(" "));
    const [c1, c2] = [slot.card.cardId, other.card.cardId];
    expect(rows).toEqual([
      `${c1} slot-1 transferred`,
      `${c1} o1 delivered`,
      `${c2} o2 released`,
      `${c2} o3 held`,
    ]);
    expect((await s.audit()).duplicateCards).toBe(0);
    // What a ghost looks like in the history: a second live owner of a delivered card. The unique
    // index forbids it, so take the index away to see that the audit finds it on its own.
    raw.exec("DROP INDEX card_claims_live");
    raw
      .prepare("INSERT INTO card_claims (card_id, owner_id, outcome, claimed_at) VALUES (?, 'o9', 'held', 0)")
      .run(c1);
    raw.close();
    expect((await s.audit()).duplicateCards).toBe(1);
    await s.close();
  });
});

describe("sqlite store after kill -9", () => {
  it("keeps every acknowledged order, claim and delivery, and strands no card", async () => {
    await expectNothingLostAfterKill(`sqlite:${nextFile()}`, 1500);
  });
});

describe("sqlite store files", () => {
  it("creates the database and its -wal and -shm files readable by their owner only (0600)", async () => {
    const file = nextFile();
    const s = await openStore(`sqlite:${file}`);
    await s.importCards("sku-a", ["SECRET-CODE-1"]);
    await s.recordOrder(order("o1"));
    for (const f of [file, `${file}-wal`, `${file}-shm`]) {
      expect({ file: f, mode: (statSync(f).mode & 0o777).toString(8) }).toEqual({ file: f, mode: "600" });
    }
    await s.close();
  });

  it("opens a file of the first schema (no client or timings columns) and carries on with it", async () => {
    const file = nextFile();
    mkdirSync(dirname(file), { recursive: true });
    // The orders table as the first schema (user_version 1) made it, with one finished order in it.
    const old = new Database(file);
    old.exec(`CREATE TABLE orders (
      order_id TEXT PRIMARY KEY, idempotency_key TEXT NOT NULL UNIQUE, sku TEXT NOT NULL, tier TEXT NOT NULL,
      state TEXT NOT NULL, attempts INTEGER NOT NULL, card_id TEXT, card_code TEXT, lane TEXT, cluster TEXT,
      provider_id TEXT, reject_reason TEXT, failure_reason TEXT, from_cache INTEGER NOT NULL,
      canary INTEGER NOT NULL, accepted_at INTEGER NOT NULL, finished_at INTEGER) WITHOUT ROWID`);
    old
      .prepare(
        `INSERT INTO orders VALUES ('old-1', 'key-old-1', 'sku-a', 'standard', 'DELIVERED', 1, '1', 'GC-OLD',
         'default', 'primary', 'p1', NULL, NULL, 0, 0, 1700000000000, 1700000000020)`,
      )
      .run();
    old.pragma("user_version = 1");
    old.close();

    const s = await openStore(`sqlite:${file}`);
    expect(await s.getOrder("old-1")).toMatchObject({
      orderId: "old-1",
      cardCode: "GC-OLD",
      finishedAt: 1_700_000_000_020,
      clientId: null,
      totalMs: null,
    });
    await s.recordOrder(order("new-1", { clientId: "client-a" }));
    await s.updateOrder("new-1", { state: "DELIVERED", queuedMs: 2.5, totalMs: 9.75 });
    expect(await s.getOrder("new-1")).toMatchObject({ clientId: "client-a", queuedMs: 2.5, totalMs: 9.75 });
    await s.close();
    // Opening it again (already migrated) changes nothing.
    const again = await openStore(`sqlite:${file}`);
    expect(await again.getOrder("new-1")).toMatchObject({ clientId: "client-a", totalMs: 9.75 });
    await again.close();
  });
});

describe("sqlite group commit", () => {
  it("acknowledges no write whose batch did not commit, and every acknowledged one is already on disk", async () => {
    const file = nextFile();
    // A short busy timeout so that a batch meeting another writer's lock fails instead of waiting.
    const s = await openSqliteStore(file, { synchronous: "normal", busyTimeoutMs: 20 });
    await s.importCards("sku-a", ["A1", "A2"]);
    const other = new Database(file);
    other.exec("BEGIN IMMEDIATE");
    // Three writes issued together: one batch, one transaction, which cannot begin.
    const writes = [s.recordOrder(order("o1")), s.recordOrder(order("o2")), s.claim("o1", "sku-a")];
    const settled = await Promise.allSettled(writes);
    expect(settled.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
    other.exec("COMMIT");
    expect(other.prepare("SELECT COUNT(*) AS n FROM orders").get()).toEqual({ n: 0 });
    expect(other.prepare("SELECT COUNT(*) AS n FROM cards WHERE owner_id IS NOT NULL").get()).toEqual({
      n: 0,
    });
    // Once the lock is gone the same writes commit, and each is visible to another connection by the
    // time its promise settles (checked inside the continuation, before anything else runs).
    const seen: unknown[] = [];
    const look = (id: string) => other.prepare("SELECT order_id FROM orders WHERE order_id = ?").get(id);
    await Promise.all([
      s.recordOrder(order("o1")).then(() => seen.push(look("o1"))),
      s.recordOrder(order("o2")).then(() => seen.push(look("o2"))),
    ]);
    expect(seen).toEqual([{ order_id: "o1" }, { order_id: "o2" }]);
    other.close();
    await s.close();
  });

  it("folds the WAL into the database file on close, with the checkpoint thread running, and loses nothing", async () => {
    const file = nextFile();
    const s = await openSqliteStore(file, { synchronous: "normal", checkpointMs: 1 });
    await seedStock(s, ["sku-a"], 300, "GC", { seed: 5 });
    await Promise.all(Array.from({ length: 200 }, (_, i) => s.recordOrder(order(`o${i}`))));
    await Promise.all(Array.from({ length: 200 }, (_, i) => s.claim(`o${i}`, "sku-a")));
    await s.close();
    expect(existsSync(`${file}-wal`)).toBe(false);
    const again = await openStore(`sqlite:${file}`);
    expect(await again.audit()).toMatchObject({ totalOrders: 200, totalCards: 300, duplicateCards: 0 });
    expect(await again.stock("sku-a")).toBe(100);
    await again.close();
  });

  it("lets a process whose last work is closing the store finish it and exit 0", async () => {
    const child = new URL("./close-child.ts", import.meta.url).pathname;
    const r = spawnSync(process.execPath, ["--import", "tsx", child, nextFile()], { encoding: "utf8" });
    expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 0, stdout: "closed\n" });
  });

  it("counts the free cards of a file made before the per-SKU stock table (schema 2) on open", async () => {
    const file = nextFile();
    const s = await openStore(`sqlite:${file}`);
    await s.importCards("sku-a", ["A1", "A2", "A3", "A4"]);
    await s.importCards("sku-b", ["B1", "B2"]);
    const c = await s.claim("o1", "sku-a");
    if (c.kind !== "claimed") throw new Error("no card");
    await s.deliver("o1", c.card.cardId);
    await s.claim("o2", "sku-b");
    await s.close();
    // Back to schema 2: no stock table, no triggers keeping it; a card taken meanwhile by a schema-2 writer.
    const raw = new Database(file);
    raw.exec(`DROP TRIGGER cards_stock_insert; DROP TRIGGER cards_stock_update; DROP TRIGGER cards_stock_delete;
      DROP TABLE sku_stock; UPDATE cards SET owner_id = 'o3' WHERE code = 'A4'; PRAGMA user_version = 2;`);
    raw.close();

    const again = await openStore(`sqlite:${file}`);
    expect([await again.stock("sku-a"), await again.stock("sku-b"), await again.stock("sku-none")]).toEqual([
      2, 1, 0,
    ]);
    await again.claim("o4", "sku-a");
    await again.importCards("sku-b", ["B3"]);
    expect([await again.stock("sku-a"), await again.stock("sku-b")]).toEqual([1, 2]);
    await again.close();
  });
});
