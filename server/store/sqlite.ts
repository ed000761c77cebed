// The SQLite store: the embedded default, one durable file (better-sqlite3, WAL). Every operation
// is one IMMEDIATE transaction, so it takes the write lock up front: several connections or
// processes on one file serialise their claims and never see a card as free twice.
//
// Durability: each call commits before its promise resolves, so an order is on disk before it is
// acknowledged. With synchronous=NORMAL (the default) a commit survives a process crash (kill -9);
// the last commits may be lost if the machine loses power. synchronous=FULL fsyncs every commit.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { ClaimResult, StoreResult } from "../core/ports.ts";
import { type CardOutcome, storeErrors } from "./rules.ts";
import {
  LEDGER_COLUMNS,
  orderValues,
  patchFields,
  rowToOrder,
  TERMINAL_SQL,
  toSqlite,
  unknownOrder,
} from "./sql-ledger.ts";
import type { LedgerOrder, LedgerPatch, Store, StoreAudit } from "./types.ts";

export interface SqliteOptions {
  synchronous: "normal" | "full";
  /** How long a connection waits for another's write lock before failing (ms). */
  busyTimeoutMs?: number;
}

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
CREATE INDEX IF NOT EXISTS card_claims_card ON card_claims (card_id);
-- The last line of defence: at most one live (held or delivered) owner per card, whatever the code does.
CREATE UNIQUE INDEX IF NOT EXISTS card_claims_live ON card_claims (card_id) WHERE outcome IN ('held', 'delivered');
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
  finished_at INTEGER
);
CREATE INDEX IF NOT EXISTS orders_open ON orders (accepted_at, order_id) WHERE state NOT IN ${TERMINAL_SQL};
`;

interface CardRow {
  id: number;
  code: string;
  sku: string;
  owner_id: string | null;
  delivered: number;
}

export async function openSqliteStore(path: string, options: SqliteOptions): Promise<Store> {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: options.busyTimeoutMs ?? 10_000 });
  try {
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`);
    db.pragma("foreign_keys = ON");
    // Two processes opening a fresh file at once both run the schema; the write lock makes that safe.
    db.transaction(() => db.exec(SCHEMA)).immediate();
  } catch (error) {
    db.close();
    throw error;
  }
  return new SqliteStore(db);
}

class SqliteStore implements Store {
  readonly kind = "sqlite";
  private closed = false;
  private readonly q;
  private readonly patchStatements = new Map<string, Database.Statement>();
  private readonly claimTx;
  private readonly transferTx;
  private readonly releaseTx;
  private readonly deliverTx;
  private readonly importTx;
  private readonly recordTx;

  constructor(private readonly db: Database.Database) {
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
      openClaim: db.prepare(
        "INSERT INTO card_claims (card_id, owner_id, outcome, claimed_at) VALUES (?, ?, 'held', ?)",
      ),
      closeClaim: db.prepare(
        "UPDATE card_claims SET outcome = ?, ended_at = ? WHERE card_id = ? AND owner_id = ? AND outcome = 'held'",
      ),
      stock: db.prepare<[string], { n: number }>(
        "SELECT COUNT(*) AS n FROM cards WHERE sku = ? AND owner_id IS NULL AND delivered = 0",
      ),
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

    this.importTx = db.transaction((sku: string, codes: string[]) => {
      let imported = 0;
      for (const code of codes) imported += this.q.insertCard.run(sku, code).changes;
      return imported;
    });

    this.claimTx = db.transaction((ownerId: string, sku: string): ClaimResult => {
      const held = this.q.cardByOwner.get(ownerId);
      if (held) {
        if (held.sku !== sku) return { kind: "error", message: storeErrors.holdsOtherSku(ownerId, held.sku) };
        return { kind: "claimed", card: { cardId: String(held.id), code: held.code, sku: held.sku } };
      }
      const card = this.q.takeFree.get(ownerId, sku);
      if (!card) return { kind: "out_of_stock" };
      this.q.openClaim.run(card.id, ownerId, Date.now());
      return { kind: "claimed", card: { cardId: String(card.id), code: card.code, sku: card.sku } };
    });

    this.transferTx = db.transaction((id: number, cardId: string, from: string, to: string): StoreResult => {
      const card = this.q.cardById.get(id);
      if (!card) return { kind: "error", message: storeErrors.unknownCard(cardId) };
      if (card.owner_id !== from || card.delivered)
        return { kind: "error", message: storeErrors.notHeldBy(cardId, from) };
      if (from === to) return { kind: "ok" };
      if (this.q.cardByOwner.get(to)) return { kind: "error", message: storeErrors.ownerHoldsCard(to) };
      this.q.setOwner.run(to, id, from);
      const now = Date.now();
      this.closeClaim(id, from, "transferred", now);
      this.q.openClaim.run(id, to, now);
      return { kind: "ok" };
    });

    this.releaseTx = db.transaction((id: number, cardId: string, owner: string): StoreResult => {
      if (this.q.free.run(id, owner).changes === 1) {
        this.closeClaim(id, owner, "released", Date.now());
        return { kind: "ok" };
      }
      const card = this.q.cardById.get(id);
      if (!card) return { kind: "error", message: storeErrors.unknownCard(cardId) };
      return { kind: "error", message: storeErrors.notReleasable(cardId, owner) };
    });

    this.deliverTx = db.transaction((id: number, cardId: string, owner: string): StoreResult => {
      if (this.q.markDelivered.run(id, owner).changes === 1) {
        this.closeClaim(id, owner, "delivered", Date.now());
        return { kind: "ok" };
      }
      const card = this.q.cardById.get(id);
      if (!card) return { kind: "error", message: storeErrors.unknownCard(cardId) };
      if (card.owner_id === owner && card.delivered) return { kind: "ok" };
      return { kind: "error", message: storeErrors.notHeldBy(cardId, owner) };
    });

    this.recordTx = db.transaction((order: LedgerOrder) => {
      try {
        if (this.q.insertOrder.run(...orderValues(order, toSqlite)).changes === 1) {
          return { created: true, order: { ...order } };
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
    });
  }

  async importCards(sku: string, codes: string[]): Promise<{ imported: number; duplicates: number }> {
    this.check();
    const imported = this.importTx.immediate(sku, codes);
    return { imported, duplicates: codes.length - imported };
  }

  async claim(ownerId: string, sku: string): Promise<ClaimResult> {
    this.check();
    return this.claimTx.immediate(ownerId, sku);
  }

  async transfer(cardId: string, fromOwner: string, toOwner: string): Promise<StoreResult> {
    this.check();
    const id = parseCardId(cardId);
    if (id === undefined) return { kind: "error", message: storeErrors.unknownCard(cardId) };
    return this.transferTx.immediate(id, cardId, fromOwner, toOwner);
  }

  async release(ownerId: string, cardId: string): Promise<StoreResult> {
    this.check();
    const id = parseCardId(cardId);
    if (id === undefined) return { kind: "error", message: storeErrors.unknownCard(cardId) };
    return this.releaseTx.immediate(id, cardId, ownerId);
  }

  async deliver(ownerId: string, cardId: string): Promise<StoreResult> {
    this.check();
    const id = parseCardId(cardId);
    if (id === undefined) return { kind: "error", message: storeErrors.unknownCard(cardId) };
    return this.deliverTx.immediate(id, cardId, ownerId);
  }

  async stock(sku: string): Promise<number> {
    this.check();
    return this.q.stock.get(sku)?.n ?? 0;
  }

  async recordOrder(order: LedgerOrder): Promise<{ created: boolean; order: LedgerOrder }> {
    this.check();
    return this.recordTx.immediate(order);
  }

  async updateOrder(orderId: string, patch: LedgerPatch): Promise<void> {
    this.check();
    const fields = patchFields(patch);
    if (fields.length === 0) {
      if (!this.q.orderById.get(orderId)) throw unknownOrder(orderId);
      return;
    }
    const shape = fields.map((f) => f.column).join(",");
    let stmt = this.patchStatements.get(shape);
    if (!stmt) {
      const sets = fields.map((f) => `${f.column} = ?`).join(", ");
      stmt = this.db.prepare(`UPDATE orders SET ${sets} WHERE order_id = ?`);
      this.patchStatements.set(shape, stmt);
    }
    const values = fields.map((f) => toSqlite(f.kind, (patch as Record<string, unknown>)[f.field]));
    if (stmt.run(...values, orderId).changes === 0) throw unknownOrder(orderId);
  }

  async getOrder(orderId: string): Promise<LedgerOrder | undefined> {
    this.check();
    const row = this.q.orderById.get(orderId);
    return row ? rowToOrder(row) : undefined;
  }

  async getOrderByKey(idempotencyKey: string): Promise<LedgerOrder | undefined> {
    this.check();
    const row = this.q.orderByKey.get(idempotencyKey);
    return row ? rowToOrder(row) : undefined;
  }

  async nonTerminalOrders(): Promise<LedgerOrder[]> {
    this.check();
    return this.q.nonTerminal.all().map(rowToOrder);
  }

  async audit(): Promise<StoreAudit> {
    this.check();
    const r = this.q.audit.get()!;
    return {
      duplicateCards: Number(r.duplicate_cards),
      nonTerminalOrders: Number(r.non_terminal_orders),
      failedHoldingCards: Number(r.failed_holding_cards),
      deliveredWithoutCard: Number(r.delivered_without_card),
      totalOrders: Number(r.total_orders),
      totalCards: Number(r.total_cards),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  private closeClaim(id: number, owner: string, outcome: CardOutcome, now: number): void {
    this.q.closeClaim.run(outcome, now, id, owner);
  }

  private check(): void {
    if (this.closed) throw new Error(storeErrors.closed(this.kind));
  }
}

/** The audit in one statement, so its counts are one consistent snapshot. */
const AUDIT_SQL = `
SELECT
  (SELECT COUNT(*) FROM (
     SELECT CAST(card_id AS TEXT) AS card FROM card_claims WHERE outcome IN ('held', 'delivered')
       GROUP BY card_id HAVING COUNT(*) > 1
     UNION
     SELECT card_id AS card FROM orders WHERE card_id IS NOT NULL AND state NOT IN ('FAILED', 'REJECTED')
       GROUP BY card_id HAVING COUNT(*) > 1
  )) AS duplicate_cards,
  (SELECT COUNT(*) FROM orders WHERE state NOT IN ${TERMINAL_SQL}) AS non_terminal_orders,
  (SELECT COUNT(*) FROM orders o JOIN cards c ON c.owner_id = o.order_id
     WHERE o.state IN ('FAILED', 'REJECTED')) AS failed_holding_cards,
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
