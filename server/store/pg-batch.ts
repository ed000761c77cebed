// Group commit for the PostgreSQL store: the writes several callers issue at about the same time go
// to the database as ONE statement (one round trip, one commit, one WAL flush), built here.
//
// Each kind of write is one data-modifying CTE fed by arrays (unnest), and the final SELECT reports
// which operations took effect. The statement commits as a whole before any caller hears back, so an
// order is still durable before it is acknowledged (docs/ARCHITECTURE.md rule P1). The batch only
// carries the path where a write succeeds outright; an operation the statement did not confirm (a
// replayed idempotency key, an unknown order, a card not held, an owner that already holds a card,
// no free card) is run again on its own by the store's single-operation code, which gives the exact
// answer that code has always given. The caller (PostgresStore) puts at most one operation per order,
// owner and card in a batch, and in flight at once: CTEs of one statement see one snapshot and may not
// change one row twice, and writes to one order must land in the order they were issued.

import { LEDGER_COLUMNS, type PatchField, toColumn } from "./sql-ledger.ts";
import type { LedgerOrder } from "./types.ts";

export type BatchOp =
  | { kind: "record"; order: LedgerOrder }
  | { kind: "update"; orderId: string; fields: PatchField[]; values: unknown[] }
  | { kind: "claim"; ownerId: string; sku: string }
  | { kind: "deliver" | "release"; ownerId: string; cardId: string }
  | { kind: "stock"; sku: string };

/** What a batch must not hold twice, nor share with a batch in flight. */
export function opKeys(op: BatchOp): string[] {
  switch (op.kind) {
    case "record":
      return [`o:${op.order.orderId}`, `k:${op.order.idempotencyKey}`];
    case "update":
      return [`o:${op.orderId}`];
    case "claim":
      return [`w:${op.ownerId}`];
    case "stock":
      // A read: any number share a batch (and an answer per SKU).
      return [];
    default:
      return [`w:${op.ownerId}`, `c:${op.cardId}`];
  }
}

/** One row of the batch's answer: `k` the kind of write, `a` the order or owner it took effect for. */
export interface BatchRow {
  k: "r" | "u" | "c" | "d" | "l" | "s";
  a: string;
  id: string | null;
  code: string | null;
  sku: string | null;
}

/** The row a confirmed operation finds in the answer, by this key. */
export function confirmKey(op: BatchOp): string {
  switch (op.kind) {
    case "record":
      return `r:${op.order.orderId}`;
    case "update":
      return `u:${op.orderId}`;
    case "claim":
      return `c:${op.ownerId}`;
    case "deliver":
      return `d:${op.ownerId}`;
    case "release":
      return `l:${op.ownerId}`;
    case "stock":
      return `s:${op.sku}`;
  }
}

/** One branch of the answer; every branch names its columns, whichever comes first. */
function answer(
  k: BatchRow["k"],
  a: string,
  from: string,
  card = ["NULL::text", "NULL::text", "NULL::text"],
) {
  return `SELECT '${k}'::text AS k, ${a} AS a, ${card[0]} AS id, ${card[1]} AS code, ${card[2]} AS sku FROM ${from}`;
}

const ARRAY_TYPE = { text: "text[]", int: "bigint[]", bool: "boolean[]", real: "float8[]" } as const;

export function batchStatement(ops: BatchOp[]): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const param = (value: unknown[], type: string) => {
    values.push(value);
    return `$${values.length}::${type}`;
  };
  const ctes: string[] = [];
  const answers: string[] = [];

  const records = ops.flatMap((op) => (op.kind === "record" ? [op.order] : []));
  if (records.length > 0) {
    const arrays = LEDGER_COLUMNS.map(([field, , kind]) =>
      param(
        records.map((o) => toColumn(kind, o[field])),
        ARRAY_TYPE[kind],
      ),
    );
    ctes.push(
      `rec AS (INSERT INTO orders (${LEDGER_COLUMNS.map(([, c]) => c).join(", ")})
  SELECT * FROM unnest(${arrays.join(", ")})
  ON CONFLICT (idempotency_key) DO NOTHING RETURNING order_id)`,
    );
    answers.push(answer("r", "order_id", "rec"));
  }

  // One UPDATE per patch shape (the server sends a handful).
  const shapes = new Map<string, Extract<BatchOp, { kind: "update" }>[]>();
  for (const op of ops) {
    if (op.kind !== "update") continue;
    const shape = op.fields[0]!.shape;
    const list = shapes.get(shape);
    if (list) list.push(op);
    else shapes.set(shape, [op]);
  }
  let u = 0;
  for (const list of shapes.values()) {
    const fields = list[0]!.fields;
    const ids = param(
      list.map((op) => op.orderId),
      "text[]",
    );
    const arrays = fields.map((f, i) =>
      param(
        list.map((op) => op.values[i]),
        ARRAY_TYPE[f.kind],
      ),
    );
    const name = `u${u++}`;
    ctes.push(
      `${name} AS (UPDATE orders o SET ${fields.map((f) => `${f.column} = v.${f.column}`).join(", ")}
  FROM unnest(${ids}, ${arrays.join(", ")}) AS v(order_id, ${fields.map((f) => f.column).join(", ")})
  WHERE o.order_id = v.order_id RETURNING o.order_id)`,
    );
    answers.push(answer("u", "order_id", name));
  }

  const claims = ops.flatMap((op) => (op.kind === "claim" ? [op] : []));
  if (claims.length > 0) {
    const owners = param(
      claims.map((c) => c.ownerId),
      "text[]",
    );
    const skus = param(
      claims.map((c) => c.sku),
      "text[]",
    );
    // Owners holding no card, numbered per SKU in arrival order; as many free cards per SKU, lowest
    // id first, locked with SKIP LOCKED (MATERIALIZED: the locking scan runs exactly once); the n-th
    // owner of a SKU takes its n-th card. `owner_id IS NULL` in the UPDATE and the unique owner
    // column hold even if a plan did something else: a card is never taken twice.
    ctes.push(
      `cq AS (SELECT * FROM unnest(${owners}, ${skus}) WITH ORDINALITY AS r(owner_id, sku, n)),
cf AS (SELECT cq.owner_id, cq.sku, row_number() OVER (PARTITION BY cq.sku ORDER BY cq.n) AS i FROM cq
  WHERE NOT EXISTS (SELECT 1 FROM cards WHERE cards.owner_id = cq.owner_id)),
cp AS MATERIALIZED (SELECT f.id, f.sku FROM (SELECT sku, count(*) AS k FROM cf GROUP BY sku) w
  CROSS JOIN LATERAL (SELECT id, sku FROM cards
    WHERE cards.sku = w.sku AND owner_id IS NULL AND NOT delivered
    ORDER BY id FOR UPDATE SKIP LOCKED LIMIT w.k) f),
cpair AS (SELECT p.id, cf.owner_id FROM
  (SELECT id, sku, row_number() OVER (PARTITION BY sku ORDER BY id) AS i FROM cp) p
  JOIN cf ON cf.sku = p.sku AND cf.i = p.i),
ct AS (UPDATE cards SET owner_id = cpair.owner_id FROM cpair
  WHERE cards.id = cpair.id AND cards.owner_id IS NULL
  RETURNING cards.id, cards.code, cards.sku, cards.owner_id),
cl AS (INSERT INTO card_claims (card_id, owner_id, outcome) SELECT id, owner_id, 'held' FROM ct)`,
    );
    answers.push(answer("c", "owner_id", "ct", ["id::text", "code", "sku"]));
  }

  for (const [kind, name, change, outcome] of [
    ["deliver", "dv", "delivered = true", "delivered"],
    ["release", "rl", "owner_id = NULL", "released"],
  ] as const) {
    const list = ops.flatMap((op) => (op.kind === kind ? [op] : []));
    if (list.length === 0) continue;
    const ids = param(
      list.map((op) => op.cardId),
      "bigint[]",
    );
    const owners = param(
      list.map((op) => op.ownerId),
      "text[]",
    );
    ctes.push(
      `${name} AS (UPDATE cards SET ${change} FROM unnest(${ids}, ${owners}) AS v(id, owner_id)
  WHERE cards.id = v.id AND cards.owner_id = v.owner_id AND NOT cards.delivered RETURNING cards.id, v.owner_id),
${name}h AS (UPDATE card_claims h SET outcome = '${outcome}', ended_at = now() FROM ${name}
  WHERE h.card_id = ${name}.id AND h.owner_id = ${name}.owner_id AND h.outcome = 'held')`,
    );
    answers.push(answer(kind === "deliver" ? "d" : "l", "owner_id", name));
  }

  const skus = [...new Set(ops.flatMap((op) => (op.kind === "stock" ? [op.sku] : [])))];
  if (skus.length > 0) {
    // Free cards per SKU in the statement's snapshot: before this batch's own claims, as if the
    // count had been asked just before them (callers issued them at the same time).
    ctes.push(
      `stk AS (SELECT s.sku, (SELECT count(*) FROM cards
    WHERE cards.sku = s.sku AND owner_id IS NULL AND NOT delivered)::text AS n
  FROM unnest(${param(skus, "text[]")}) AS s(sku))`,
    );
    answers.push(answer("s", "sku", "stk", ["n", "NULL::text", "NULL::text"]));
  }

  return { text: `WITH ${ctes.join(",\n")}\n${answers.join("\nUNION ALL ")}`, values };
}
