// The SQLite store: the embedded default, one durable file (better-sqlite3, WAL). Every operation
// runs inside an IMMEDIATE transaction, so it takes the write lock up front: several connections or
// processes on one file serialise their claims and never see a card as free twice.
//
// Durability: each call commits before its promise resolves, so an order is on disk before it is
// acknowledged. With synchronous=NORMAL (the default) a commit survives a process crash (kill -9);
// the last commits may be lost if the machine loses power. synchronous=FULL fsyncs every commit.
// WAL checkpoints (the fsyncs synchronous=NORMAL does make) run on a thread of their own
// (sqlite-checkpointer.ts), not between the event loop's transactions.
import { closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { ClaimResult, StoreResult } from "../core/ports.ts";
import { storeErrors } from "./rules.ts";
import {
  addedColumns,
  LEDGER_COLUMNS,
  normalizeOrder,
  orderValues,
  patchFields,
  RELEASED_SQL,
  rowToOrder,
  TERMINAL_SQL,
  toSqlite,
  unknownOrder,
} from "./sql-ledger.ts";
import { type Checkpointer, startCheckpointer } from "./sqlite-checkpointer.ts";
import type { LedgerOrder, LedgerPatch, Store, StoreAudit } from "./types.ts";

export interface SqliteOptions {
  synchronous: "normal" | "full";
  /** How long a connection waits for another's write lock before failing (ms). */
  busyTimeoutMs?: number;
  /** Group commit (default on): operations issued in one event-loop turn share one transaction. */
  groupCommit?: boolean;
  /**
   * WAL checkpoints on a worker thread every this many ms (default 100; 0 = SQLite's automatic
   * checkpoint on the serving connection, every 1,000 pages). See sqlite-checkpointer.ts.
   */
  checkpointMs?: number;
}

/** WAL pages after which the serving connection checkpoints itself when the worker thread lags. */
const BACKSTOP_PAGES = 16_384;

/**
 * Stored in PRAGMA user_version, so a later schema can tell what it is opening. 2 added the orders'
 * client and stage timings (sql-ledger.ts addedColumns); a file of schema 1 gets them on open.
 * 3 added sku_stock (free cards per SKU, kept by triggers); an older file gets it filled on open.
 */
const SCHEMA_VERSION = 3;

/** Unix milliseconds in SQL (julianday works on every SQLite version). */
const NOW_MS = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS cards (
  id INTEGER PRIMARY KEY,
  sku TEXT NOT NULL,
  code TEXT NOT NULL UNIQUE,
  owner_id TEXT,
  delivered INTEGER NOT NULL DEFAULT 0,
  CHECK (delivered = 0 OR owner_id IS NOT NULL)
);
-- An owner holds at most one card; a card holds at most one owner (one column).
CREATE UNIQUE INDEX IF NOT EXISTS cards_owner ON cards (owner_id) WHERE owner_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS cards_free ON cards (sku, id) WHERE owner_id IS NULL AND delivered = 0;
-- One row per owner of a card: the history the audit counts ghost cards from.
CREATE TABLE IF NOT EXISTS card_claims (
  id INTEGER PRIMARY KEY,
  card_id INTEGER NOT NULL REFERENCES cards (id),
  owner_id TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('held', 'released', 'transferred', 'delivered')),
  claimed_at INTEGER NOT NULL,
  ended_at INTEGER
);
-- Triggers keep the history, inside the very statement that changes a card: every card operation is
-- one atomic statement, and no code path can change an owner without leaving a trace.
CREATE TRIGGER IF NOT EXISTS cards_owner_history AFTER UPDATE OF owner_id ON cards
WHEN OLD.owner_id IS NOT NEW.owner_id
BEGIN
  UPDATE card_claims
    SET outcome = CASE WHEN NEW.owner_id IS NULL THEN 'released' ELSE 'transferred' END, ended_at = ${NOW_MS}
    WHERE card_id = OLD.id AND outcome IN ('held', 'delivered') AND owner_id = OLD.owner_id AND outcome = 'held';
  INSERT INTO card_claims (card_id, owner_id, outcome, claimed_at)
    SELECT NEW.id, NEW.owner_id, 'held', ${NOW_MS} WHERE NEW.owner_id IS NOT NULL;
END;
CREATE TRIGGER IF NOT EXISTS cards_delivered_history AFTER UPDATE OF delivered ON cards
WHEN NEW.delivered = 1 AND OLD.delivered = 0
BEGIN
  UPDATE card_claims SET outcome = 'delivered', ended_at = ${NOW_MS}
    WHERE card_id = NEW.id AND outcome IN ('held', 'delivered') AND owner_id = NEW.owner_id AND outcome = 'held';
END;
-- The last line of defence: at most one live (held or delivered) owner per card, whatever the code does.
-- It is also the index the triggers find a card's open tenure by (hence the repeated IN term below,
-- which lets SQLite see that the partial index applies).
CREATE UNIQUE INDEX IF NOT EXISTS card_claims_live ON card_claims (card_id) WHERE outcome IN ('held', 'delivered');
-- Free cards per SKU, kept by triggers in the statement that changes a card, so stock() reads one row.
-- Counting the free-card index instead cost about 170 us a call at 5,000 free cards a SKU (it walks
-- every entry, so it grows with the stock); the server asks every SKU's count each --stock-cache-ms.
CREATE TABLE IF NOT EXISTS sku_stock (sku TEXT PRIMARY KEY, free INTEGER NOT NULL) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS cards_stock_insert AFTER INSERT ON cards
WHEN NEW.owner_id IS NULL AND NEW.delivered = 0
BEGIN
  INSERT OR IGNORE INTO sku_stock (sku, free) VALUES (NEW.sku, 0);
  UPDATE sku_stock SET free = free + 1 WHERE sku = NEW.sku;
END;
CREATE TRIGGER IF NOT EXISTS cards_stock_update AFTER UPDATE OF owner_id, delivered ON cards
WHEN (OLD.owner_id IS NULL AND OLD.delivered = 0) IS NOT (NEW.owner_id IS NULL AND NEW.delivered = 0)
BEGIN
  UPDATE sku_stock SET free = free + CASE WHEN NEW.owner_id IS NULL AND NEW.delivered = 0 THEN 1 ELSE -1 END
    WHERE sku = NEW.sku;
END;
CREATE TRIGGER IF NOT EXISTS cards_stock_delete AFTER DELETE ON cards
WHEN OLD.owner_id IS NULL AND OLD.delivered = 0
BEGIN
  UPDATE sku_stock SET free = free - 1 WHERE sku = OLD.sku;
END;
CREATE TABLE IF NOT EXISTS orders (
  order_id TEXT PRIMARY KEY,
  idempotency_key TEXT NOT NULL UNIQUE,
  sku TEXT NOT NULL,
  tier TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  card_id TEXT,
  card_code TEXT,
  lane TEXT,
  cluster TEXT,
  provider_id TEXT,
  reject_reason TEXT,
  failure_reason TEXT,
  from_cache INTEGER NOT NULL,
  canary INTEGER NOT NULL,
  accepted_at INTEGER NOT NULL,
  finished_at INTEGER,
  ${addedColumns("sqlite")
    .map((c) => `${c.column} ${c.type}`)
    .join(",\n  ")}
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS orders_open ON orders (accepted_at, order_id) WHERE state NOT IN ${TERMINAL_SQL};
`;

const FILL_STOCK_SQL = `
DELETE FROM sku_stock;
INSERT INTO sku_stock (sku, free)
  SELECT sku, SUM(owner_id IS NULL AND delivered = 0) FROM cards GROUP BY sku;
`;

/** Most operations one group commit carries. */
const MAX_BATCH = 256;

interface Pending {
  op: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

interface CardRow {
  id: number;
  code: string;
  sku: string;
  owner_id: string | null;
  delivered: number;
}

export async function openSqliteStore(path: string, options: SqliteOptions): Promise<Store> {
  if (path !== ":memory:") {
    mkdirSync(dirname(path), { recursive: true });
    // The ledger holds card codes: a new file is its owner's alone (0600), and SQLite gives the -wal
    // and -shm files it makes next to it the database file's permissions.
    if (!existsSync(path)) closeSync(openSync(path, "a", 0o600));
  }
  const db = new Database(path, { timeout: options.busyTimeoutMs ?? 10_000 });
  try {
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`);
    db.pragma("foreign_keys = ON");
    // Two processes opening a fresh file at once both run the schema; the write lock makes that safe.
    db.transaction(() => {
      const version = Number(db.pragma("user_version", { simple: true }));
      if (version > SCHEMA_VERSION) {
        throw new Error(`${path} has store schema ${version}; this rushhour knows up to ${SCHEMA_VERSION}`);
      }
      const hadStock = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'sku_stock'").get() !== undefined;
      db.exec(SCHEMA);
      // A file older than schema 3: count its free cards once (the triggers keep the counts from here).
      if (!hadStock) db.exec(FILL_STOCK_SQL);
      const have = new Set((db.pragma("table_info(orders)") as { name: string }[]).map((c) => c.name));
      for (const c of addedColumns("sqlite")) {
        if (!have.has(c.column)) db.exec(`ALTER TABLE orders ADD COLUMN ${c.column} ${c.type}`);
      }
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }).immediate();
  } catch (error) {
    db.close();
    throw error;
  }
  const checkpointMs = options.checkpointMs ?? 100;
  let checkpointer: Checkpointer | null = null;
  if (path !== ":memory:" && checkpointMs > 0) {
    db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
    checkpointer = startCheckpointer({
      path,
      synchronous: options.synchronous === "full" ? "FULL" : "NORMAL",
      intervalMs: checkpointMs,
      busyTimeoutMs: options.busyTimeoutMs ?? 10_000,
    });
  }
  return new SqliteStore(db, options.groupCommit ?? true, checkpointer);
}

class SqliteStore implements Store {
  readonly kind = "sqlite";
  private closed = false;
  private readonly q;
  private readonly patchStatements = new Map<string, Database.Statement>();
  private readonly importTx;
  private readonly single;
  private readonly batchTx;
  private pending: Pending[] = [];
  private flushScheduled = false;

  constructor(
    private readonly db: Database.Database,
    private readonly groupCommit: boolean,
    private readonly checkpointer: Checkpointer | null,
  ) {
    const columns = LEDGER_COLUMNS.map(([, c]) => c);
    this.q = {
      insertCard: db.prepare("INSERT OR IGNORE INTO cards (sku, code) VALUES (?, ?)"),
      cardById: db.prepare<[number], CardRow>(
        "SELECT id, code, sku, owner_id, delivered FROM cards WHERE id = ?",
      ),
      cardByOwner: db.prepare<[string], CardRow>(
        "SELECT id, code, sku, owner_id, delivered FROM cards WHERE owner_id = ?",
      ),
      takeFree: db.prepare<[string, string], CardRow>(
        `UPDATE cards SET owner_id = ?
         WHERE id = (SELECT id FROM cards WHERE sku = ? AND owner_id IS NULL AND delivered = 0 ORDER BY id LIMIT 1)
           AND owner_id IS NULL
         RETURNING id, code, sku, owner_id, delivered`,
      ),
      setOwner: db.prepare("UPDATE cards SET owner_id = ? WHERE id = ? AND owner_id = ? AND delivered = 0"),
      free: db.prepare("UPDATE cards SET owner_id = NULL WHERE id = ? AND owner_id = ? AND delivered = 0"),
      markDelivered: db.prepare(
        "UPDATE cards SET delivered = 1 WHERE id = ? AND owner_id = ? AND delivered = 0",
      ),
      stock: db.prepare<[string], { n: number }>("SELECT free AS n FROM sku_stock WHERE sku = ?"),
      insertOrder: db.prepare(
        `INSERT INTO orders (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})
         ON CONFLICT (idempotency_key) DO NOTHING`,
      ),
      orderById: db.prepare<[string], Record<string, unknown>>("SELECT * FROM orders WHERE order_id = ?"),
      orderByKey: db.prepare<[string], Record<string, unknown>>(
        "SELECT * FROM orders WHERE idempotency_key = ?",
      ),
      nonTerminal: db.prepare<[], Record<string, unknown>>(
        `SELECT * FROM orders WHERE state NOT IN ${TERMINAL_SQL} ORDER BY accepted_at, order_id`,
      ),
      audit: db.prepare<[], Record<string, number>>(AUDIT_SQL),
    };

    this.single = db.transaction((op: () => unknown) => op());
    this.batchTx = db.transaction((batch: Pending[], outcomes: Outcome[]) => {
      for (const p of batch) {
        try {
          outcomes.push({ ok: true, value: p.op() });
        } catch (error) {
          // Some errors (disk full, I/O) make SQLite roll the whole transaction back; then the rest
          // must not run outside it, and the whole group fails.
          if (!db.inTransaction) throw error;
          outcomes.push({ ok: false, error });
        }
      }
    });

    this.importTx = db.transaction((sku: string, codes: string[]) => {
      let imported = 0;
      for (const code of codes) imported += this.q.insertCard.run(sku, code).changes;
      return imported;
    });
  }

  importCards(sku: string, codes: string[]): Promise<{ imported: number; duplicates: number }> {
    return this.submit(() => {
      const imported = this.importTx(sku, codes);
      return { imported, duplicates: codes.length - imported };
    });
  }

  claim(ownerId: string, sku: string): Promise<ClaimResult> {
    return this.submit(() => this.claimOp(ownerId, sku));
  }

  transfer(cardId: string, fromOwner: string, toOwner: string): Promise<StoreResult> {
    return this.submit(() => {
      const id = parseCardId(cardId);
      if (id === undefined) return { kind: "error", message: storeErrors.unknownCard(cardId) };
      return this.transferOp(id, cardId, fromOwner, toOwner);
    });
  }

  release(ownerId: string, cardId: string): Promise<StoreResult> {
    return this.submit(() => {
      const id = parseCardId(cardId);
      if (id === undefined) return { kind: "error", message: storeErrors.unknownCard(cardId) };
      return this.releaseOp(id, cardId, ownerId);
    });
  }

  deliver(ownerId: string, cardId: string): Promise<StoreResult> {
    return this.submit(() => {
      const id = parseCardId(cardId);
      if (id === undefined) return { kind: "error", message: storeErrors.unknownCard(cardId) };
      return this.deliverOp(id, cardId, ownerId);
    });
  }

  stock(sku: string): Promise<number> {
    return this.submit(() => this.q.stock.get(sku)?.n ?? 0);
  }

  recordOrder(order: LedgerOrder): Promise<{ created: boolean; order: LedgerOrder }> {
    return this.submit(() => this.recordOp(order));
  }

  updateOrder(orderId: string, patch: LedgerPatch): Promise<void> {
    return this.submit(() => {
      const fields = patchFields(patch);
      if (fields.length === 0) {
        if (!this.q.orderById.get(orderId)) throw unknownOrder(orderId);
        return;
      }
      const shape = fields[0]!.shape;
      let stmt = this.patchStatements.get(shape);
      if (!stmt) {
        const sets = fields.map((f) => `${f.column} = ?`).join(", ");
        stmt = this.db.prepare(`UPDATE orders SET ${sets} WHERE order_id = ?`);
        this.patchStatements.set(shape, stmt);
      }
      const values = fields.map((f) => toSqlite(f.kind, (patch as Record<string, unknown>)[f.field]));
      if (stmt.run(...values, orderId).changes === 0) throw unknownOrder(orderId);
    });
  }

  getOrder(orderId: string): Promise<LedgerOrder | undefined> {
    return this.submit(() => {
      const row = this.q.orderById.get(orderId);
      return row ? rowToOrder(row) : undefined;
    });
  }

  getOrderByKey(idempotencyKey: string): Promise<LedgerOrder | undefined> {
    return this.submit(() => {
      const row = this.q.orderByKey.get(idempotencyKey);
      return row ? rowToOrder(row) : undefined;
    });
  }

  nonTerminalOrders(): Promise<LedgerOrder[]> {
    return this.submit(() => this.q.nonTerminal.all().map(rowToOrder));
  }

  failedHoldingCards(): Promise<{ orderId: string; cardId: string }[]> {
    return this.submit(
      () =>
        this.db
          .prepare(
            `SELECT o.order_id AS orderId, CAST(c.id AS TEXT) AS cardId FROM orders o
               JOIN cards c ON c.owner_id = o.order_id
              WHERE o.state IN ${RELEASED_SQL} AND c.delivered = 0`,
          )
          .all() as { orderId: string; cardId: string }[],
    );
  }

  audit(): Promise<StoreAudit> {
    return this.submit(() => {
      const r = this.q.audit.get()!;
      return {
        duplicateCards: Number(r.duplicate_cards),
        nonTerminalOrders: Number(r.non_terminal_orders),
        failedHoldingCards: Number(r.failed_holding_cards),
        deliveredWithoutCard: Number(r.delivered_without_card),
        totalOrders: Number(r.total_orders),
        totalCards: Number(r.total_cards),
      };
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Work accepted before close still runs and commits.
    this.flush();
    // The thread's connection first: the last connection to close checkpoints the whole WAL.
    await this.checkpointer?.stop();
    this.db.close();
  }

  // The operations below are plain methods, not savepoints: each writes with exactly one statement
  // (history comes from the triggers), so a failure leaves nothing half done in a group commit.
  private claimOp(ownerId: string, sku: string): ClaimResult {
    const held = this.q.cardByOwner.get(ownerId);
    if (held) {
      if (held.sku !== sku) return { kind: "error", message: storeErrors.holdsOtherSku(ownerId, held.sku) };
      return {
        kind: "claimed",
        card: { cardId: String(held.id), code: held.code, sku: held.sku },
        delivered: Boolean(held.delivered),
      };
    }
    const card = this.q.takeFree.get(ownerId, sku);
    if (!card) return { kind: "out_of_stock" };
    return {
      kind: "claimed",
      card: { cardId: String(card.id), code: card.code, sku: card.sku },
      delivered: false,
    };
  }

  private transferOp(id: number, cardId: string, from: string, to: string): StoreResult {
    const card = this.q.cardById.get(id);
    if (!card) return { kind: "error", message: storeErrors.unknownCard(cardId) };
    if (card.owner_id !== from || card.delivered) {
      return { kind: "error", message: storeErrors.notHeldBy(cardId, from) };
    }
    if (from === to) return { kind: "ok" };
    if (this.q.cardByOwner.get(to)) return { kind: "error", message: storeErrors.ownerHoldsCard(to) };
    this.q.setOwner.run(to, id, from);
    return { kind: "ok" };
  }

  private releaseOp(id: number, cardId: string, owner: string): StoreResult {
    if (this.q.free.run(id, owner).changes === 1) return { kind: "ok" };
    const card = this.q.cardById.get(id);
    if (!card) return { kind: "error", message: storeErrors.unknownCard(cardId) };
    return { kind: "error", message: storeErrors.notReleasable(cardId, owner) };
  }

  private deliverOp(id: number, cardId: string, owner: string): StoreResult {
    if (this.q.markDelivered.run(id, owner).changes === 1) return { kind: "ok" };
    const card = this.q.cardById.get(id);
    if (!card) return { kind: "error", message: storeErrors.unknownCard(cardId) };
    if (card.owner_id === owner && card.delivered) return { kind: "ok" };
    return { kind: "error", message: storeErrors.notHeldBy(cardId, owner) };
  }

  private recordOp(order: LedgerOrder): { created: boolean; order: LedgerOrder } {
    try {
      if (this.q.insertOrder.run(...orderValues(order, toSqlite)).changes === 1) {
        return { created: true, order: normalizeOrder(order) };
      }
    } catch (error) {
      if ((error as { code?: string }).code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
        throw new Error(storeErrors.orderIdTaken(order.orderId));
      }
      throw error;
    }
    const existing = this.q.orderByKey.get(order.idempotencyKey);
    if (!existing) throw new Error(`recordOrder: idempotency key ${order.idempotencyKey} vanished`);
    return { created: false, order: rowToOrder(existing) };
  }

  /**
   * Runs one operation. With group commit, operations issued in the same turn of the event loop
   * share one IMMEDIATE transaction, and every promise settles only after that transaction commits:
   * nothing is acknowledged before it is on disk. An operation that fails does not undo the others
   * (each writes with a single statement; an import uses a savepoint). Without group commit, each
   * operation is its own transaction.
   */
  private submit<T>(op: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new Error(storeErrors.closed(this.kind)));
    if (!this.groupCommit) {
      try {
        return Promise.resolve(this.single.immediate(op) as T);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ op, resolve: resolve as (value: unknown) => void, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    while (this.pending.length > 0) {
      // Bounded batches keep any one transaction (and the event-loop pause it causes) short.
      const batch = this.pending.splice(0, MAX_BATCH);
      const outcomes: Outcome[] = [];
      try {
        this.batchTx.immediate(batch, outcomes);
      } catch (error) {
        for (const p of batch) p.reject(error);
        continue;
      }
      for (const [i, p] of batch.entries()) {
        const o = outcomes[i]!;
        if (o.ok) p.resolve(o.value);
        else p.reject(o.error);
      }
    }
  }
}

/** The audit in one statement, so its counts are one consistent snapshot. */
const AUDIT_SQL = `
SELECT
  (SELECT COUNT(*) FROM (
     SELECT CAST(card_id AS TEXT) AS card FROM card_claims WHERE outcome IN ('held', 'delivered')
       GROUP BY card_id HAVING COUNT(*) > 1
     UNION
     SELECT card_id AS card FROM orders WHERE card_id IS NOT NULL AND state NOT IN ${RELEASED_SQL}
       GROUP BY card_id HAVING COUNT(*) > 1
  )) AS duplicate_cards,
  (SELECT COUNT(*) FROM orders WHERE state NOT IN ${TERMINAL_SQL}) AS non_terminal_orders,
  (SELECT COUNT(*) FROM orders o JOIN cards c ON c.owner_id = o.order_id
     WHERE o.state IN ${RELEASED_SQL}) AS failed_holding_cards,
  (SELECT COUNT(*) FROM orders o WHERE o.state = 'DELIVERED' AND NOT EXISTS (
     SELECT 1 FROM cards c WHERE c.owner_id = o.order_id AND c.delivered = 1 AND CAST(c.id AS TEXT) = o.card_id
  )) AS delivered_without_card,
  (SELECT COUNT(*) FROM orders) AS total_orders,
  (SELECT COUNT(*) FROM cards) AS total_cards
`;

function parseCardId(cardId: string): number | undefined {
  if (!/^[1-9][0-9]{0,14}$/.test(cardId)) return undefined;
  return Number(cardId);
}
