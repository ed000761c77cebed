// The order ledger's mapping between LedgerOrder fields and SQL columns, shared by the SQLite and
// PostgreSQL stores so both read and write the same shape.
import { CARD_RELEASED_STATES, TERMINAL_STATES } from "../core/types.ts";
import { storeErrors } from "./rules.ts";
import type { LedgerOrder, LedgerPatch } from "./types.ts";

type ColumnKind = "text" | "int" | "bool" | "real";

/** Every LedgerOrder field, its column and how it is stored. Order matters: it is the INSERT order. */
export const LEDGER_COLUMNS: readonly [keyof LedgerOrder, string, ColumnKind][] = [
  ["orderId", "order_id", "text"],
  ["idempotencyKey", "idempotency_key", "text"],
  ["sku", "sku", "text"],
  ["tier", "tier", "text"],
  ["state", "state", "text"],
  ["attempts", "attempts", "int"],
  ["cardId", "card_id", "text"],
  ["cardCode", "card_code", "text"],
  ["lane", "lane", "text"],
  ["cluster", "cluster", "text"],
  ["providerId", "provider_id", "text"],
  ["rejectReason", "reject_reason", "text"],
  ["failureReason", "failure_reason", "text"],
  ["fromCache", "from_cache", "bool"],
  ["canary", "canary", "bool"],
  ["acceptedAt", "accepted_at", "int"],
  ["finishedAt", "finished_at", "int"],
  // Added in store schema 2 (issue 17): the client, and the stage timings kept to the fraction of a ms.
  ["clientId", "client_id", "text"],
  ["acceptMs", "accept_ms", "real"],
  ["queuedMs", "queued_ms", "real"],
  ["allocatingMs", "allocating_ms", "real"],
  ["issuingMs", "issuing_ms", "real"],
  ["retryingMs", "retrying_ms", "real"],
  ["totalMs", "total_ms", "real"],
];

/**
 * The columns store schema 2 added to the orders table, with their SQL types per database: a store
 * opening a file or database of schema 1 adds them (null in the orders already there).
 */
export function addedColumns(db: "sqlite" | "postgres"): { column: string; type: string }[] {
  const added = LEDGER_COLUMNS.slice(LEDGER_COLUMNS.findIndex(([field]) => field === "clientId"));
  return added.map(([, column, kind]) => ({
    column,
    type: kind === "text" ? "TEXT" : db === "sqlite" ? "REAL" : "double precision",
  }));
}

const IMMUTABLE = new Set<string>(["orderId", "idempotencyKey", "sku", "tier", "acceptedAt", "clientId"]);
const BY_FIELD = new Map(LEDGER_COLUMNS.map(([field, column, kind]) => [field as string, { column, kind }]));

const sqlList = (states: ReadonlySet<string>) => `(${[...states].map((s) => `'${s}'`).join(",")})`;

/** Ledger terminal states, for SQL `IN (...)` lists. */
export const TERMINAL_SQL = sqlList(TERMINAL_STATES);
/** End states whose order gives its card back (core CARD_RELEASED_STATES), for SQL `IN (...)` lists. */
export const RELEASED_SQL = sqlList(CARD_RELEASED_STATES);

export interface PatchField {
  field: string;
  column: string;
  kind: ColumnKind;
  /** The statement text for this field set, shared by every patch of the same shape. */
  shape: string;
}

const shapes = new Map<string, PatchField[]>();

/**
 * The fields a patch actually sets (undefined means "leave as is"), sorted so equal shapes share a
 * statement. Cached per shape: the server sends the same few shapes thousands of times a second.
 */
export function patchFields(patch: LedgerPatch): PatchField[] {
  let key = "";
  for (const field in patch) {
    if ((patch as Record<string, unknown>)[field] !== undefined) key += `${field},`;
  }
  const cached = shapes.get(key);
  if (cached) return cached;
  const out: Omit<PatchField, "shape">[] = [];
  for (const field of key.split(",")) {
    if (field === "") continue;
    const spec = BY_FIELD.get(field);
    // A caller outside TypeScript could name anything; refuse rather than write a column we do not know.
    if (!spec || IMMUTABLE.has(field)) throw new Error(`updateOrder: field ${field} cannot be patched`);
    out.push({ field, ...spec });
  }
  out.sort((a, b) => (a.field < b.field ? -1 : 1));
  const shape = out.map((f) => f.column).join(",");
  const fields = out.map((f) => ({ ...f, shape }));
  // Bounded: only valid shapes get here (the server sends a handful of them).
  shapes.set(key, fields);
  return fields;
}

/**
 * A value as the ledger keeps it: integer fields rounded (times from a real-time clock carry a fraction
 * of a millisecond, which PostgreSQL's bigint refuses and SQLite would keep as a float), undefined as null.
 */
export function toColumn(kind: ColumnKind, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (kind === "int" && typeof value === "number") return Math.round(value);
  return value;
}

/** A value as SQLite stores it (booleans as 0/1). */
export function toSqlite(kind: ColumnKind, value: unknown): unknown {
  if (kind === "bool" && value !== null && value !== undefined) return value ? 1 : 0;
  return toColumn(kind, value);
}

/** The order as every store records it: integer fields rounded. */
export function normalizeOrder(order: LedgerOrder): LedgerOrder {
  return {
    ...order,
    attempts: Math.round(order.attempts),
    acceptedAt: Math.round(order.acceptedAt),
    finishedAt: order.finishedAt === null ? null : Math.round(order.finishedAt),
  };
}

/** A patch as every store applies it: integer fields rounded. */
export function normalizePatch(patch: LedgerPatch, fields: PatchField[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f.field] = toColumn(f.kind, (patch as Record<string, unknown>)[f.field]);
  return out;
}

/** A row (column names as keys) back to a LedgerOrder; handles SQLite 0/1 and PostgreSQL bigint strings. */
export function rowToOrder(row: Record<string, unknown>): LedgerOrder {
  const out: Record<string, unknown> = {};
  for (const [field, column, kind] of LEDGER_COLUMNS) {
    const v = row[column];
    if (v === null || v === undefined) out[field] = kind === "bool" ? false : null;
    else if (kind === "int" || kind === "real") out[field] = Number(v);
    else if (kind === "bool") out[field] = v === true || v === 1;
    else out[field] = v;
  }
  return out as unknown as LedgerOrder;
}

export function orderValues(
  order: LedgerOrder,
  convert: (kind: ColumnKind, v: unknown) => unknown,
): unknown[] {
  return LEDGER_COLUMNS.map(([field, , kind]) => convert(kind, order[field]));
}

export function unknownOrder(orderId: string): Error {
  return new Error(storeErrors.unknownOrder(orderId));
}
