// The PostgreSQL store: the shared store for several server instances (pg Pool). A claim is ONE
// statement: a CTE that locks the lowest free card with FOR UPDATE SKIP LOCKED, takes it and logs
// the new owner, so concurrent allocators in any number of processes skip each other's rows instead
// of queueing on them, and a card is never taken twice. (Never `WHERE id IN (SELECT ... LIMIT 1)`:
// the planner may re-run that subquery and update more rows than the LIMIT says.)
import pg from "pg";
import type { ClaimResult, StoreResult } from "../core/ports.ts";
import { type BatchOp, type BatchRow, batchStatement, confirmKey, opKeys } from "./pg-batch.ts";
import { storeErrors } from "./rules.ts";
import {
  addedColumns,
  LEDGER_COLUMNS,
  normalizeOrder,
  orderValues,
  type PatchField,
  patchFields,
  RELEASED_SQL,
  rowToOrder,
  TERMINAL_SQL,
  toColumn,
  unknownOrder,
} from "./sql-ledger.ts";
import type { LedgerOrder, LedgerPatch, Store, StoreAudit } from "./types.ts";

export interface PostgresOptions {
  poolSize: number;
  /** Group commit (default on): writes issued together go to the database as one statement (pg-batch.ts). */
  groupCommit?: boolean;
  /** Most group-commit statements out at once (default 4); the next batch gathers meanwhile. */
  batchesInFlight?: number;
}

/** Any constant: serialises schema creation when several processes open one fresh database at once. */
const SCHEMA_LOCK = 0x72_75_73_68;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS cards (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  sku text NOT NULL,
  code text NOT NULL UNIQUE,
  -- UNIQUE: an owner holds at most one card; one column: a card holds at most one owner.
  owner_id text UNIQUE,
  delivered boolean NOT NULL DEFAULT false,
  CHECK (NOT delivered OR owner_id IS NOT NULL)
);
CREATE INDEX IF NOT EXISTS cards_free ON cards (sku, id) WHERE owner_id IS NULL AND NOT delivered;
-- One row per owner of a card: the history the audit counts ghost cards from.
CREATE TABLE IF NOT EXISTS card_claims (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  card_id bigint NOT NULL REFERENCES cards (id),
  owner_id text NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('held', 'released', 'transferred', 'delivered')),
  claimed_at timestamptz NOT NULL DEFAULT now(),
  ended_at timestamptz
);
CREATE INDEX IF NOT EXISTS card_claims_card ON card_claims (card_id);
-- The last line of defence: at most one live (held or delivered) owner per card, whatever the code does.
CREATE UNIQUE INDEX IF NOT EXISTS card_claims_live ON card_claims (card_id) WHERE outcome IN ('held', 'delivered');
CREATE TABLE IF NOT EXISTS orders (
  order_id text PRIMARY KEY,
  idempotency_key text NOT NULL UNIQUE,
  sku text NOT NULL,
  tier text NOT NULL,
  state text NOT NULL,
  attempts integer NOT NULL,
  card_id text,
  card_code text,
  lane text,
  cluster text,
  provider_id text,
  reject_reason text,
  failure_reason text,
  from_cache boolean NOT NULL,
  canary boolean NOT NULL,
  accepted_at bigint NOT NULL,
  finished_at bigint,
  ${addedColumns("postgres")
    .map((c) => `${c.column} ${c.type}`)
    .join(",\n  ")}
);
CREATE INDEX IF NOT EXISTS orders_open ON orders (accepted_at, order_id) WHERE state NOT IN ${TERMINAL_SQL};
`;

/** The allocation: one statement, exported so a test can hold it to the rule in the header. */
export const CLAIM_SQL = `
WITH mine AS (
  SELECT id, code, sku, delivered FROM cards WHERE owner_id = $1
), c AS (
  SELECT id FROM cards
  WHERE sku = $2 AND owner_id IS NULL AND NOT delivered AND NOT EXISTS (SELECT 1 FROM mine)
  ORDER BY id
  FOR UPDATE SKIP LOCKED
  LIMIT 1
), taken AS (
  UPDATE cards SET owner_id = $1 FROM c
  WHERE cards.id = c.id AND cards.owner_id IS NULL
  RETURNING cards.id, cards.code, cards.sku
), logged AS (
  INSERT INTO card_claims (card_id, owner_id, outcome) SELECT id, $1, 'held' FROM taken
)
SELECT id::text AS id, code, sku, delivered FROM mine
UNION ALL
SELECT id::text AS id, code, sku, false AS delivered FROM taken`;

// Ends the owner's hold on a card: `change` frees it or marks it delivered, and the claim history
// records the outcome. The final SELECT sees the card as it was before the statement (one snapshot),
// which is what the error message needs when nothing changed.
function endHoldSql(change: string, outcome: "released" | "delivered"): string {
  return `
WITH changed AS (
  UPDATE cards SET ${change} WHERE id = $1 AND owner_id = $2 AND NOT delivered RETURNING id
), closed AS (
  UPDATE card_claims SET outcome = '${outcome}', ended_at = now()
  WHERE card_id IN (SELECT id FROM changed) AND owner_id = $2 AND outcome = 'held'
)
SELECT (SELECT count(*) FROM changed)::int AS changed, c.owner_id, c.delivered
FROM (SELECT 1) AS one LEFT JOIN cards c ON c.id = $1`;
}

const RELEASE_SQL = endHoldSql("owner_id = NULL", "released");

/**
 * A transfer in one statement (it took seven round trips as a transaction): lock the card, move it if
 * `from` holds it undelivered, close `from`'s tenure and open `to`'s. `opened` reads `closed`, so the
 * old tenure has left the one-live-owner index before the new one enters it. The SELECT reports the
 * card as it was, for the error messages.
 */
const TRANSFER_SQL = `
WITH card AS (
  SELECT id, owner_id, delivered FROM cards WHERE id = $1 FOR UPDATE
), moved AS (
  UPDATE cards SET owner_id = $3 FROM card
  WHERE cards.id = card.id AND card.owner_id = $2 AND NOT card.delivered AND $2 <> $3
  RETURNING cards.id
), closed AS (
  UPDATE card_claims SET outcome = 'transferred', ended_at = now()
  WHERE card_id IN (SELECT id FROM moved) AND owner_id = $2 AND outcome = 'held'
  RETURNING card_id
), opened AS (
  INSERT INTO card_claims (card_id, owner_id, outcome) SELECT card_id, $3, 'held' FROM closed
)
SELECT card.owner_id, card.delivered FROM (SELECT 1) AS one LEFT JOIN card ON true`;
const DELIVER_SQL = endHoldSql("delivered = true", "delivered");

const COLUMNS = LEDGER_COLUMNS.map(([, c]) => c);
const INSERT_ORDER_SQL = `
INSERT INTO orders (${COLUMNS.join(", ")}) VALUES (${COLUMNS.map((_, i) => `$${i + 1}`).join(", ")})
ON CONFLICT (idempotency_key) DO NOTHING`;

const AUDIT_SQL = `
SELECT
  (SELECT count(*) FROM (
     SELECT card_id::text AS card FROM card_claims WHERE outcome IN ('held', 'delivered')
       GROUP BY card_id HAVING count(*) > 1
     UNION
     SELECT card_id AS card FROM orders WHERE card_id IS NOT NULL AND state NOT IN ${RELEASED_SQL}
       GROUP BY card_id HAVING count(*) > 1
  ) AS ghosts)::int AS duplicate_cards,
  (SELECT count(*) FROM orders WHERE state NOT IN ${TERMINAL_SQL})::int AS non_terminal_orders,
  (SELECT count(*) FROM orders o JOIN cards c ON c.owner_id = o.order_id
     WHERE o.state IN ${RELEASED_SQL})::int AS failed_holding_cards,
  (SELECT count(*) FROM orders o WHERE o.state = 'DELIVERED' AND NOT EXISTS (
     SELECT 1 FROM cards c WHERE c.owner_id = o.order_id AND c.delivered AND c.id::text = o.card_id
  ))::int AS delivered_without_card,
  (SELECT count(*) FROM orders)::int AS total_orders,
  (SELECT count(*) FROM cards)::int AS total_cards`;

const IMPORT_BATCH = 5000;
const UNIQUE_VIOLATION = "23505";

export async function openPostgresStore(connectionString: string, options: PostgresOptions): Promise<Store> {
  const pool = new pg.Pool({ connectionString, max: options.poolSize });
  // An idle connection dropped by the server must not crash the process; the next query reports it.
  pool.on("error", () => {});
  try {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock($1)", [SCHEMA_LOCK]);
      await client.query(SCHEMA);
      await addMissingColumns(client);
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end().catch(() => {});
    throw new Error(`cannot open the PostgreSQL store at ${redact(connectionString)}: ${messageOf(error)}`);
  }
  return new PostgresStore(pool, {
    poolSize: options.poolSize,
    groupCommit: options.groupCommit ?? true,
    batchesInFlight: options.batchesInFlight ?? 4,
  });
}

/**
 * Store schema 2 (issue 17) added the orders' client and stage timings: a database of schema 1 gets the
 * columns (null in the orders already there). Only missing ones are added, so opening a current
 * database takes no table lock that would stall the instances already running on it.
 */
async function addMissingColumns(client: pg.PoolClient): Promise<void> {
  const r = await client.query<{ column_name: string }>(
    "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'orders'",
  );
  const have = new Set(r.rows.map((row) => row.column_name));
  for (const c of addedColumns("postgres")) {
    if (!have.has(c.column)) await client.query(`ALTER TABLE orders ADD COLUMN ${c.column} ${c.type}`);
  }
}

/**
 * What the store did, counted since it opened: the bench divides these by the orders it ran to show
 * where the time of an order goes (docs in bench/store.ts).
 */
export interface PostgresStats {
  /** Store calls (claim, recordOrder, ...). */
  calls: number;
  /** Statements sent, each one round trip to the database (a transaction's BEGIN and COMMIT count). */
  roundTrips: number;
  /** Group-commit statements among them, and the operations they carried. */
  batches: number;
  batchedOps: number;
  /** Operations a batch did not confirm, run again on their own (replays, errors, no stock). */
  rerun: number;
  /** Batches the database refused as a whole (each of their writes then ran on its own). */
  refused: number;
  /** Times a statement had to wait for a free pooled connection, and the total wait in ms. */
  poolWaits: number;
  poolWaitMs: number;
}

/** The counters of a PostgreSQL store; undefined for any other store. */
export function postgresStats(store: Store): PostgresStats | undefined {
  return store instanceof PostgresStore ? { ...store.stats } : undefined;
}

/**
 * SQLSTATE classes of a statement refused for its content, never committed: data exception (22),
 * integrity constraint (23), transaction rollback (40: deadlock, serialization), syntax or access (42).
 */
const REFUSED_CLASSES = new Set(["22", "23", "40", "42"]);

function refused(error: unknown): boolean {
  return REFUSED_CLASSES.has(codeOf(error)?.slice(0, 2) ?? "");
}

/** Most operations one group-commit statement carries (it stays a few hundred kB of parameters). */
const MAX_BATCH = 256;

interface Queued {
  op: BatchOp;
  keys: string[];
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Answer = { k: BatchRow["k"]; id: string | null; code: string | null; sku: string | null };

class PostgresStore implements Store {
  readonly kind = "postgres";
  readonly stats: PostgresStats = {
    calls: 0,
    roundTrips: 0,
    batches: 0,
    batchedOps: 0,
    rerun: 0,
    refused: 0,
    poolWaits: 0,
    poolWaitMs: 0,
  };
  private closed = false;
  private readonly patchNames = new Map<string, number>();
  private readonly batchNames = new Map<string, string>();
  private readonly listened = new WeakSet<pg.PoolClient>();
  private pending: Queued[] = [];
  private readonly busyKeys = new Set<string>();
  private inFlight = 0;
  private flushScheduled = false;
  private idle: (() => void) | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: Required<PostgresOptions>,
  ) {}

  async importCards(sku: string, codes: string[]): Promise<{ imported: number; duplicates: number }> {
    this.check();
    let imported = 0;
    for (let i = 0; i < codes.length; i += IMPORT_BATCH) {
      const r = await this.query(
        "INSERT INTO cards (sku, code) SELECT $1, unnest($2::text[]) ON CONFLICT (code) DO NOTHING",
        [sku, codes.slice(i, i + IMPORT_BATCH)],
      );
      imported += r.rowCount ?? 0;
    }
    return { imported, duplicates: codes.length - imported };
  }

  claim(ownerId: string, sku: string): Promise<ClaimResult> {
    return this.write({ kind: "claim", ownerId, sku }) as Promise<ClaimResult>;
  }

  private async claimOne(ownerId: string, sku: string): Promise<ClaimResult> {
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await this.query<{ id: string; code: string; sku: string; delivered: boolean }>({
          name: "rushhour_claim",
          text: CLAIM_SQL,
          values: [ownerId, sku],
        });
        const row = r.rows[0];
        if (!row) return { kind: "out_of_stock" };
        if (row.sku !== sku) return { kind: "error", message: storeErrors.holdsOtherSku(ownerId, row.sku) };
        return {
          kind: "claimed",
          card: { cardId: row.id, code: row.code, sku: row.sku },
          delivered: row.delivered,
        };
      } catch (error) {
        // The same owner claimed concurrently and won: its card is committed now, so ask again.
        if (attempt === 0 && codeOf(error) === UNIQUE_VIOLATION) continue;
        throw error;
      }
    }
  }

  async transfer(cardId: string, fromOwner: string, toOwner: string): Promise<StoreResult> {
    this.check();
    this.stats.calls++;
    const id = parseCardId(cardId);
    if (id === undefined) return { kind: "error", message: storeErrors.unknownCard(cardId) };
    let row: { owner_id: string | null; delivered: boolean | null } | undefined;
    try {
      row = (
        await this.query<{ owner_id: string | null; delivered: boolean | null }>({
          name: "rushhour_transfer",
          text: TRANSFER_SQL,
          values: [id, fromOwner, toOwner],
        })
      ).rows[0];
    } catch (error) {
      // The new owner holds a card already (an owner holds at most one: the unique owner column).
      if (codeOf(error) === UNIQUE_VIOLATION)
        return { kind: "error", message: storeErrors.ownerHoldsCard(toOwner) };
      throw error;
    }
    if (!row || row.delivered === null) return { kind: "error", message: storeErrors.unknownCard(cardId) };
    if (row.owner_id !== fromOwner || row.delivered) {
      return { kind: "error", message: storeErrors.notHeldBy(cardId, fromOwner) };
    }
    return { kind: "ok" };
  }

  release(ownerId: string, cardId: string): Promise<StoreResult> {
    const id = parseCardId(cardId);
    if (id === undefined) {
      return this.settled({ kind: "error", message: storeErrors.unknownCard(cardId) });
    }
    return this.write({ kind: "release", ownerId, cardId: id }) as Promise<StoreResult>;
  }

  private async releaseOne(ownerId: string, id: string): Promise<StoreResult> {
    const row = await this.change("rushhour_release", RELEASE_SQL, id, ownerId);
    if (row.changed === 1) return { kind: "ok" };
    // `delivered` is NOT NULL in the table, so null here means the LEFT JOIN found no card.
    if (row.delivered === null) return { kind: "error", message: storeErrors.unknownCard(id) };
    return { kind: "error", message: storeErrors.notReleasable(id, ownerId) };
  }

  deliver(ownerId: string, cardId: string): Promise<StoreResult> {
    const id = parseCardId(cardId);
    if (id === undefined) {
      return this.settled({ kind: "error", message: storeErrors.unknownCard(cardId) });
    }
    return this.write({ kind: "deliver", ownerId, cardId: id }) as Promise<StoreResult>;
  }

  private async deliverOne(ownerId: string, id: string): Promise<StoreResult> {
    const row = await this.change("rushhour_deliver", DELIVER_SQL, id, ownerId);
    if (row.changed === 1) return { kind: "ok" };
    if (row.owner_id === ownerId && row.delivered) return { kind: "ok" };
    if (row.delivered === null) return { kind: "error", message: storeErrors.unknownCard(id) };
    return { kind: "error", message: storeErrors.notHeldBy(id, ownerId) };
  }

  stock(sku: string): Promise<number> {
    return this.write({ kind: "stock", sku }) as Promise<number>;
  }

  private async stockOne(sku: string): Promise<number> {
    const r = await this.query<{ n: number }>({
      name: "rushhour_stock",
      text: "SELECT count(*)::int AS n FROM cards WHERE sku = $1 AND owner_id IS NULL AND NOT delivered",
      values: [sku],
    });
    return r.rows[0]?.n ?? 0;
  }

  recordOrder(order: LedgerOrder): Promise<{ created: boolean; order: LedgerOrder }> {
    return this.write({ kind: "record", order }) as Promise<{ created: boolean; order: LedgerOrder }>;
  }

  private async recordOne(order: LedgerOrder): Promise<{ created: boolean; order: LedgerOrder }> {
    try {
      const r = await this.query({
        name: "rushhour_record",
        text: INSERT_ORDER_SQL,
        values: orderValues(order, toColumn),
      });
      if (r.rowCount === 1) return { created: true, order: normalizeOrder(order) };
    } catch (error) {
      if (codeOf(error) === UNIQUE_VIOLATION) throw new Error(storeErrors.orderIdTaken(order.orderId));
      throw error;
    }
    const existing = await this.orderWhere("rushhour_order_by_key", "idempotency_key", order.idempotencyKey);
    if (!existing) throw new Error(`recordOrder: idempotency key ${order.idempotencyKey} vanished`);
    return { created: false, order: existing };
  }

  async updateOrder(orderId: string, patch: LedgerPatch): Promise<void> {
    this.check();
    const fields = patchFields(patch);
    if (fields.length === 0) {
      this.stats.calls++;
      if (!(await this.orderWhere("rushhour_order", "order_id", orderId))) throw unknownOrder(orderId);
      return;
    }
    const values = fields.map((f) => toColumn(f.kind, (patch as Record<string, unknown>)[f.field]));
    await this.write({ kind: "update", orderId, fields, values });
  }

  private async updateOne(orderId: string, fields: PatchField[], values: unknown[]): Promise<void> {
    const sets = fields.map((f, i) => `${f.column} = $${i + 2}`).join(", ");
    const r = await this.query({
      // One prepared statement per patch shape; the core issues only a handful of shapes.
      name: this.patchName(fields[0]!.shape),
      text: `UPDATE orders SET ${sets} WHERE order_id = $1`,
      values: [orderId, ...values],
    });
    if (r.rowCount === 0) throw unknownOrder(orderId);
  }

  /** One write on its own: the path without group commit, and the rerun of what a batch did not confirm. */
  private one(op: BatchOp): Promise<unknown> {
    switch (op.kind) {
      case "record":
        return this.recordOne(op.order);
      case "update":
        return this.updateOne(op.orderId, op.fields, op.values);
      case "claim":
        return this.claimOne(op.ownerId, op.sku);
      case "deliver":
        return this.deliverOne(op.ownerId, op.cardId);
      case "release":
        return this.releaseOne(op.ownerId, op.cardId);
      case "stock":
        return this.stockOne(op.sku);
    }
  }

  /** What a confirmed operation answers (the batch confirms only the plain success of each kind). */
  private confirmed(op: BatchOp, answer: Answer): unknown {
    switch (op.kind) {
      case "record":
        return { created: true, order: normalizeOrder(op.order) };
      case "update":
        return undefined;
      case "stock":
        return Number(answer.id);
      case "claim":
        return {
          kind: "claimed",
          card: { cardId: answer.id as string, code: answer.code as string, sku: answer.sku as string },
          delivered: false,
        } satisfies ClaimResult;
      default:
        return { kind: "ok" } satisfies StoreResult;
    }
  }

  /**
   * A write: with group commit it waits (one event-loop turn at least) to go with the others in one
   * statement; the promise settles only after that statement has committed.
   */
  private write(op: BatchOp): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error(storeErrors.closed(this.kind)));
    this.stats.calls++;
    if (!this.options.groupCommit) return this.one(op);
    return new Promise((resolve, reject) => {
      this.pending.push({ op, keys: opKeys(op), resolve, reject });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /**
   * Sends batches while fewer than `batchesInFlight` are out. A batch takes queued writes in order,
   * skipping any whose order, idempotency key, owner or card is already in this batch or in one in
   * flight (and every later write with that key too, so writes to one order keep their order).
   */
  private flush(): void {
    while (this.pending.length > 0 && this.inFlight < this.options.batchesInFlight) {
      const batch: Queued[] = [];
      const rest: Queued[] = [];
      const blocked = new Set<string>();
      for (const q of this.pending) {
        if (batch.length < MAX_BATCH && !q.keys.some((k) => this.busyKeys.has(k) || blocked.has(k))) {
          batch.push(q);
          for (const k of q.keys) this.busyKeys.add(k);
        } else {
          rest.push(q);
          for (const k of q.keys) blocked.add(k);
        }
      }
      if (batch.length === 0) return;
      this.pending = rest;
      this.inFlight++;
      void this.runBatch(batch).finally(() => {
        this.inFlight--;
        for (const q of batch) for (const k of q.keys) this.busyKeys.delete(k);
        if (this.pending.length > 0) this.scheduleFlush();
        else if (this.inFlight === 0) this.idle?.();
      });
    }
  }

  private async runBatch(batch: Queued[]): Promise<void> {
    if (batch.length === 1) {
      const q = batch[0]!;
      await this.one(q.op).then(q.resolve, q.reject);
      return;
    }
    const { text, values } = batchStatement(batch.map((q) => q.op));
    let rows: BatchRow[];
    try {
      this.stats.batches++;
      this.stats.batchedOps += batch.length;
      rows = (await this.query<BatchRow>({ name: this.batchName(text), text, values })).rows;
    } catch (error) {
      // The database refused the statement for what it holds (a constraint, a deadlock, a bad value):
      // it rolled back as a whole, so each write runs on its own and gets its own answer. Anything
      // else (a lost connection, a terminated backend, a full disk) may even have come after the
      // commit: every caller hears the error, as it would from a single statement.
      if (!refused(error)) {
        for (const q of batch) q.reject(error);
        return;
      }
      this.stats.refused++;
      rows = [];
    }
    const answers = new Map<string, Answer>();
    for (const r of rows) answers.set(`${r.k}:${r.a}`, r);
    const reruns: Promise<void>[] = [];
    for (const q of batch) {
      const answer = answers.get(confirmKey(q.op));
      if (answer) q.resolve(this.confirmed(q.op, answer));
      else {
        this.stats.rerun++;
        reruns.push(this.one(q.op).then(q.resolve, q.reject));
      }
    }
    await Promise.all(reruns);
  }

  /** A pooled statement, counted; time spent waiting for a connection is counted as a pool wait. */
  private async query<R extends pg.QueryResultRow = Record<string, unknown>>(
    config: string | pg.QueryConfig,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>> {
    const client = await this.connect();
    this.stats.roundTrips++;
    try {
      const r = await client.query<R>(config as pg.QueryConfig, values);
      client.release();
      return r;
    } catch (error) {
      // A statement refused for its content leaves the connection fine; anything else (a broken
      // connection, a terminated backend) retires it, as pg's own pool.query does.
      client.release(!refused(error));
      throw error;
    }
  }

  private async connect(): Promise<pg.PoolClient> {
    let client: pg.PoolClient;
    if (this.pool.idleCount > 0 || this.pool.totalCount < this.options.poolSize)
      client = await this.pool.connect();
    else {
      this.stats.poolWaits++;
      const t0 = performance.now();
      client = await this.pool.connect();
      this.stats.poolWaitMs += performance.now() - t0;
    }
    // The pool listens for errors of idle connections only; one lost while checked out would be an
    // unhandled 'error' event (a crash). Its query rejects with the error, which is what callers hear.
    if (!this.listened.has(client)) {
      this.listened.add(client);
      client.on("error", () => {});
    }
    return client;
  }

  private async orderWhere(name: string, column: string, value: string): Promise<LedgerOrder | undefined> {
    const r = await this.query({ name, text: `SELECT * FROM orders WHERE ${column} = $1`, values: [value] });
    return r.rows[0] ? rowToOrder(r.rows[0]) : undefined;
  }

  private settled<T>(value: T): Promise<T> {
    if (this.closed) return Promise.reject(new Error(storeErrors.closed(this.kind)));
    this.stats.calls++;
    return Promise.resolve(value);
  }

  /** Batch statements are prepared per shape too (a few dozen mixes of kinds and patch shapes). */
  private batchName(text: string): string | undefined {
    let name = this.batchNames.get(text);
    if (name === undefined && this.batchNames.size < 500) {
      name = `rushhour_batch_${this.batchNames.size}`;
      this.batchNames.set(text, name);
    }
    return name;
  }

  async getOrder(orderId: string): Promise<LedgerOrder | undefined> {
    this.check();
    this.stats.calls++;
    return this.orderWhere("rushhour_order", "order_id", orderId);
  }

  async getOrderByKey(idempotencyKey: string): Promise<LedgerOrder | undefined> {
    this.check();
    this.stats.calls++;
    return this.orderWhere("rushhour_order_by_key", "idempotency_key", idempotencyKey);
  }

  async nonTerminalOrders(): Promise<LedgerOrder[]> {
    this.check();
    // COLLATE "C": the same byte order as the other stores, whatever the database's locale.
    const r = await this.query(
      `SELECT * FROM orders WHERE state NOT IN ${TERMINAL_SQL} ORDER BY accepted_at, order_id COLLATE "C"`,
    );
    return r.rows.map(rowToOrder);
  }

  async failedHoldingCards(): Promise<{ orderId: string; cardId: string }[]> {
    this.check();
    const r = await this.query<{ orderId: string; cardId: string }>(
      `SELECT o.order_id AS "orderId", c.id::text AS "cardId" FROM orders o
         JOIN cards c ON c.owner_id = o.order_id
        WHERE o.state IN ${RELEASED_SQL} AND NOT c.delivered`,
    );
    return r.rows;
  }

  async audit(): Promise<StoreAudit> {
    this.check();
    const r = (await this.query<Record<string, number>>(AUDIT_SQL)).rows[0]!;
    return {
      duplicateCards: r.duplicate_cards!,
      nonTerminalOrders: r.non_terminal_orders!,
      failedHoldingCards: r.failed_holding_cards!,
      deliveredWithoutCard: r.delivered_without_card!,
      totalOrders: r.total_orders!,
      totalCards: r.total_cards!,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Writes accepted before close still go out and commit (as the SQLite store's do).
    if (this.pending.length > 0 || this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        this.idle = resolve;
        this.scheduleFlush();
      });
    }
    await this.pool.end();
  }

  private async change(
    name: string,
    text: string,
    id: string,
    ownerId: string,
  ): Promise<{ changed: number; owner_id: string | null; delivered: boolean | null }> {
    const r = await this.query<{ changed: number; owner_id: string | null; delivered: boolean | null }>({
      name,
      text,
      values: [id, ownerId],
    });
    return r.rows[0]!;
  }

  /** PostgreSQL statement names are at most 63 bytes, so patch shapes get numbers (this pool only). */
  private patchName(shape: string): string {
    let n = this.patchNames.get(shape);
    if (n === undefined) {
      n = this.patchNames.size;
      this.patchNames.set(shape, n);
    }
    return `rushhour_patch_${n}`;
  }

  private check(): void {
    if (this.closed) throw new Error(storeErrors.closed(this.kind));
  }
}

/** Card ids are bigint identities; anything else names no card. Kept as text for pg. */
function parseCardId(cardId: string): string | undefined {
  return /^[1-9][0-9]{0,17}$/.test(cardId) ? cardId : undefined;
}

function codeOf(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
}
