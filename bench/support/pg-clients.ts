// The same group-commit statements (server/store/pg-batch.ts) sent through two PostgreSQL clients side
// by side: `pg` (what the store uses: one query at a time per connection) and `postgres` (porsager,
// Unlicense: queues further queries on a busy connection, i.e. pipelines them). Each batch records
// BATCH orders, claims a card for each and writes the end state of orders recorded LAG batches
// before: the mix a busy server sends. Both clients get the same pool size and the same number of statements in flight,
// so the difference is how a connection is used (issue 19: choose the client on the evidence).
import pg from "pg";
import postgres from "postgres";
import { acceptedOrder } from "../../server/store/ledger-order.ts";
import { openStore, seedStock } from "../../server/store/open.ts";
import { type BatchOp, batchStatement } from "../../server/store/pg-batch.ts";
import { freshSchemaUrl } from "../../server/store/pg-cluster.ts";
import { patchFields, toColumn } from "../../server/store/sql-ledger.ts";

const BATCH = 16;
const STATEMENTS = 400;
const POOL = 4;
/** Statements in flight: four per connection, which `pg` queues in its pool and `postgres` pipelines. */
const IN_FLIGHT = 16;
const LAG = IN_FLIGHT + 1;

export interface ClientFigures {
  client: string;
  statementsPerS: number;
  ordersPerS: number;
  cpuUsPerOrder: number;
  /** Rows of the statements' answers: one per write that took effect, the same for both clients. */
  rows: number;
}

function statements(tag: string): { text: string; values: unknown[] }[] {
  const out: { text: string; values: unknown[] }[] = [];
  const end = { state: "DELIVERED" as const, attempts: 1, finishedAt: 0 };
  const fields = patchFields(end);
  for (let b = 0; b < STATEMENTS; b++) {
    const ops: BatchOp[] = [];
    for (let i = 0; i < BATCH; i++) {
      const orderId = `${tag}-${b}-${i}`;
      ops.push({
        kind: "record",
        order: acceptedOrder({
          orderId,
          idempotencyKey: `k-${orderId}`,
          sku: "pc-sku",
          tier: "standard",
          acceptedAt: Date.now(),
        }),
      });
      ops.push({ kind: "claim", ownerId: orderId, sku: "pc-sku" });
      // The end states of orders recorded LAG statements earlier: committed by now, as a server's are.
      if (b >= LAG) {
        const previous = `${tag}-${b - LAG}-${i}`;
        const patch: Record<string, unknown> = { ...end, finishedAt: Date.now() };
        const values = fields.map((f) => toColumn(f.kind, patch[f.field]));
        ops.push({ kind: "update", orderId: previous, fields, values });
      }
    }
    out.push(batchStatement(ops));
  }
  return out;
}

/** PostgreSQL's built-in array types (pg_type oids) of the element types pg-batch.ts casts to. */
const ARRAY_OID: Record<string, number> = { text: 1009, bigint: 1016, boolean: 1000, float8: 1022 };

/** The array type of parameter `n`, from its cast in the statement (`$n::bigint[]`). */
function arrayOid(text: string, n: number): number {
  const m = new RegExp(`\\$${n}::(\\w+)\\[\\]`).exec(text);
  const oid = m ? ARRAY_OID[m[1]!] : undefined;
  if (oid === undefined) throw new Error(`bench: no array cast for parameter $${n}`);
  return oid;
}

async function drive(
  name: string,
  list: { text: string; values: unknown[] }[],
  send: (s: { text: string; values: unknown[] }) => Promise<number>,
): Promise<ClientFigures> {
  let next = 0;
  let rows = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < list.length) {
        const n = await send(list[next++]!);
        rows += n;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    client: name,
    statementsPerS: list.length / seconds,
    ordersPerS: (list.length * BATCH) / seconds,
    cpuUsPerOrder: (cpu.user + cpu.system) / (list.length * BATCH),
    rows,
  };
}

/** Both clients against one cluster, each twice (pg, postgres, pg, postgres), each on a fresh schema. */
export async function compareClients(clusterUrl: string, label: string): Promise<ClientFigures[]> {
  const out: ClientFigures[] = [];
  for (let round = 0; round < 2; round++) {
    for (const client of ["pg", "postgres"] as const) {
      const schema = `clients_${label}_${client}_${round}`;
      const url = await freshSchemaUrl(clusterUrl, schema);
      // The store makes the schema and the cards; then the bare clients send statements to it.
      const store = await openStore(url);
      await seedStock(store, ["pc-sku"], STATEMENTS * BATCH, "PC", { seed: 13 });
      await store.close();
      const list = statements(schema);
      if (client === "pg") {
        const pool = new pg.Pool({ connectionString: url, max: POOL });
        try {
          out.push(await drive("pg", list, async (s) => (await pool.query(s.text, s.values)).rows.length));
        } finally {
          await pool.end();
        }
      } else {
        const search = `-c search_path=${schema}`;
        const sql = postgres(clusterUrl, { max: POOL, connection: { options: search }, onnotice: () => {} });
        try {
          // Unnamed statements, as pg sends a query without a name: the difference is the pipelining.
          // Each array goes as sql.array with the array type the statement casts it to: without it the
          // library declares a boolean array as a plain boolean (it infers from the first element).
          const send = async (s: { text: string; values: unknown[] }) => {
            const params = s.values.map((v, i) => sql.array(v as never[], arrayOid(s.text, i + 1)));
            return (await sql.unsafe(s.text, params, { prepare: false })).length;
          };
          out.push(await drive("postgres", list, send));
        } finally {
          await sql.end();
        }
      }
    }
  }
  return out;
}
