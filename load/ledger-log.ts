// The ledger -> order-log converter (`rushhour traffic --from-store URL --write FILE`): every order a
// server accepted, in acceptance order, read straight from the ledger's orders table (SQLite or
// PostgreSQL, read-only; the store's own interface has no "every order" query) and written as an order
// log (traffic/replay/writer.ts). Read in pages, so a ledger of millions of orders converts in flat memory.
import { rmSync } from "node:fs";
import Database from "better-sqlite3";
import pg from "pg";
import type { Tier } from "../server/core/types.ts";
import { parseStoreUrl } from "../server/store/open.ts";
import { OrderLogWriter } from "../traffic/replay/writer.ts";

const PAGE = 10_000;

interface Row {
  accepted_at: number | string;
  order_id: string;
  sku: string;
  tier: Tier;
  idempotency_key: string;
  client_id: string | null;
}

/** Writes the ledger's orders to `file`; returns how many. Throws naming the store for a bad URL or file. */
export async function ledgerToLog(storeUrl: string, file: string): Promise<number> {
  const target = parseStoreUrl(storeUrl);
  if (target.kind === "memory") throw new Error("a memory: store keeps no ledger to convert");
  const out = new OrderLogWriter(file);
  await out.ready();
  const add = (r: Row): boolean =>
    out.add({
      t: Number(r.accepted_at),
      sku: r.sku,
      tier: r.tier,
      key: r.idempotency_key,
      customer: r.client_id,
    });
  try {
    if (target.kind === "sqlite") {
      const db = new Database(target.path, { readonly: true, fileMustExist: true });
      try {
        const columns = db.prepare("SELECT name FROM pragma_table_info('orders')").all() as {
          name: string;
        }[];
        if (columns.length === 0)
          throw new Error(`${target.path} holds no orders table (not a rushhour ledger)`);
        // Ledgers from before client ids (schema 1) have no client_id column.
        const client = columns.some((c) => c.name === "client_id") ? "client_id" : "NULL AS client_id";
        const rows = db
          .prepare(
            `SELECT accepted_at, order_id, sku, tier, idempotency_key, ${client} FROM orders ORDER BY accepted_at, order_id`,
          )
          .iterate() as IterableIterator<Row>;
        for (const r of rows) if (add(r)) await out.drain();
      } finally {
        db.close();
      }
    } else {
      const client = new pg.Client({ connectionString: target.connectionString });
      await client.connect();
      try {
        // Keyset pages in (accepted_at, order_id) order: no cursor held open, no OFFSET rescans.
        let after: [string, string] = ["-9223372036854775808", ""];
        for (;;) {
          const { rows } = await client.query<Row>(
            `SELECT accepted_at, order_id, sku, tier, idempotency_key, client_id FROM orders
             WHERE (accepted_at, order_id) > ($1::bigint, $2) ORDER BY accepted_at, order_id LIMIT ${PAGE}`,
            after,
          );
          for (const r of rows) add(r);
          await out.drain();
          const last = rows[rows.length - 1];
          if (rows.length < PAGE || last === undefined) break;
          after = [String(last.accepted_at), last.order_id];
        }
      } finally {
        await client.end();
      }
    }
  } catch (err) {
    // No half-written log left behind under the name the user asked for.
    await out.close().catch(() => {});
    rmSync(file, { force: true });
    throw err;
  }
  await out.close();
  return out.written;
}
