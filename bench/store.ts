// Store throughput, side by side in one run: orders/s for each store under the server's pattern
// (recordOrder, claim, updateOrder with the card, deliver, updateOrder with the end; 64 in flight),
// and bare claims/s with 32 concurrent allocators. Ratios against the memory store hold on a shared
// machine where absolute figures drift. PostgreSQL runs on two throwaway clusters when its binaries
// exist, fsync off (as the tests run) and fsync on (as a user's database does), each with group commit
// (the default) and without, and gets a per-order breakdown: server vs database CPU, round trips,
// writes per statement, pool waits and WAL syncs (issue 19).
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { acceptedOrder } from "../server/store/ledger-order.ts";
import { type OpenStoreOptions, openStore, seedStock } from "../server/store/open.ts";
import {
  freshSchemaUrl,
  startThrowawayPostgres,
  type ThrowawayPostgres,
} from "../server/store/pg-cluster.ts";
import { postgresStats } from "../server/store/postgres.ts";
import type { Store } from "../server/store/types.ts";
import { postgresCpuSeconds } from "./support/cpu.ts";
import { type ClientFigures, compareClients } from "./support/pg-clients.ts";

const ORDERS = Number(process.env.BENCH_STORE_ORDERS ?? 10_000);
const POOL = 16;
const IN_FLIGHT = 64;
const CLAIMERS = 32;
/** BENCH_STORE_ONLY=clients: only the pg vs postgres client comparison (one PostgreSQL cluster per fsync). */
const ONLY_CLIENTS = process.env.BENCH_STORE_ONLY === "clients";

async function ordersPerSecond(store: Store, tag: string): Promise<{ perSecond: number; cpuUs: number }> {
  await seedStock(store, ["bench-sku"], ORDERS, "GC", { seed: 11 });
  let next = 0;
  async function worker(): Promise<void> {
    while (next < ORDERS) {
      const i = next++;
      const orderId = `${tag}-o${i}`;
      const base = acceptedOrder({
        orderId,
        idempotencyKey: `${tag}-k${i}`,
        sku: "bench-sku",
        tier: "standard",
        acceptedAt: Date.now(),
      });
      await store.recordOrder(base);
      const claim = await store.claim(orderId, "bench-sku");
      if (claim.kind !== "claimed") throw new Error(`bench: claim ${claim.kind}`);
      const { cardId, code } = claim.card;
      const patch = {
        state: "ISSUING" as const,
        attempts: 1,
        cardId,
        cardCode: code,
        lane: "default" as const,
        cluster: "primary" as const,
        providerId: "p1",
        rejectReason: null,
        failureReason: null,
        fromCache: false,
        canary: false,
        finishedAt: null,
      };
      await store.updateOrder(orderId, patch);
      await store.deliver(orderId, cardId);
      await store.updateOrder(orderId, { ...patch, state: "DELIVERED", finishedAt: Date.now() });
    }
  }
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const audit = await store.audit();
  if (audit.duplicateCards !== 0 || audit.deliveredWithoutCard !== 0)
    throw new Error("bench: audit not clean");
  // This process's CPU per order: the cost the server's one thread pays (PostgreSQL's own CPU is not in it).
  return { perSecond: ORDERS / seconds, cpuUs: (cpu.user + cpu.system) / ORDERS };
}

async function claimsPerSecond(store: Store, tag: string): Promise<number> {
  const cards = ORDERS;
  await seedStock(store, [`claim-${tag}`], cards, "CL", { seed: 12 });
  let next = 0;
  async function claimer(): Promise<void> {
    for (;;) {
      const r = await store.claim(`c${next++}`, `claim-${tag}`);
      if (r.kind === "out_of_stock") return;
    }
  }
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CLAIMERS }, claimer));
  return cards / ((performance.now() - t0) / 1000);
}

interface Variant {
  name: string;
  /** What a committed write survives with these settings (the figure is only as honest as this). */
  durable: string;
  url: () => string | Promise<string>;
  options?: OpenStoreOptions;
  cluster?: ThrowawayPostgres;
}

interface Row {
  store: string;
  durable: string;
  orders: number;
  cpuUs: number;
  claims: number;
  /** PostgreSQL only: the database's CPU per order and what the store did per order. */
  dbCpuUs?: number;
  perOrder?: {
    roundTrips: number;
    opsPerBatch: number;
    poolWaits: number;
    poolWaitMs: number;
    walSyncs: number;
  };
}

/** WAL flushes (fsync/fdatasync) the cluster has done; 0 with fsync off. */
async function walSyncs(cluster: ThrowawayPostgres): Promise<number> {
  const client = new pg.Client(cluster.url);
  await client.connect();
  try {
    // A backend reports its counters when it goes idle or exits; ask for everyone's now.
    const r = await client.query<{ n: string }>("SELECT wal_sync AS n FROM pg_stat_wal");
    return Number(r.rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

async function measure(v: Variant): Promise<Row> {
  const walBefore = v.cluster ? await walSyncs(v.cluster) : 0;
  const dbBefore = v.cluster ? postgresCpuSeconds(v.cluster.dir) : 0;
  const url = await v.url();
  const a = await openStore(url, v.options);
  const orders = await ordersPerSecond(a, v.name);
  const dbAfter = v.cluster ? postgresCpuSeconds(v.cluster.dir) : 0;
  const stats = postgresStats(a);
  await a.close();
  const b = await openStore(url, v.options);
  const claims = await claimsPerSecond(b, v.name);
  await b.close();
  const row: Row = {
    store: v.name,
    durable: v.durable,
    orders: orders.perSecond,
    cpuUs: orders.cpuUs,
    claims,
  };
  if (v.cluster && stats) {
    // The pool's backends have exited (close), so their WAL counters are in; the claims phase ran
    // since, so this counts both phases' flushes against the orders: an upper bound per order.
    const wal = (await walSyncs(v.cluster)) - walBefore;
    row.dbCpuUs = ((dbAfter - dbBefore) * 1e6) / ORDERS;
    row.perOrder = {
      roundTrips: stats.roundTrips / ORDERS,
      opsPerBatch: stats.batches > 0 ? stats.batchedOps / stats.batches : 1,
      poolWaits: stats.poolWaits / ORDERS,
      poolWaitMs: stats.poolWaitMs / ORDERS,
      walSyncs: wal / ORDERS,
    };
  }
  return row;
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "rushhour-bench-store-"));
  const clusters: ThrowawayPostgres[] = [];
  let files = 0;
  const sqliteFile = () => `sqlite:${join(dir, `bench-${files++}.db`)}`;
  const rows: Row[] = [];
  const clientRows: { fsync: string; figures: ClientFigures[] }[] = [];
  try {
    const variants: Variant[] = [
      { name: "memory", durable: "nothing", url: () => "memory:" },
      { name: "sqlite", durable: "kill -9 (shipped: WAL, synchronous=normal)", url: sqliteFile },
      {
        name: "sqlite-inline-ckpt",
        durable: "kill -9 (WAL checkpoints on the serving thread, as before issue 19)",
        url: sqliteFile,
        options: { sqliteCheckpointMs: 0 },
      },
      {
        name: "sqlite-1tx",
        durable: "kill -9 (one transaction per call)",
        url: sqliteFile,
        options: { groupCommit: false },
      },
    ];
    try {
      // fsync off is how the test clusters run; fsync on is what a user's database does, and what
      // group commit exists to save. Both side by side, each with and without group commit.
      for (const fsync of ["off", "on"] as const) {
        const cluster = await startThrowawayPostgres({
          settings: { fsync, full_page_writes: fsync, synchronous_commit: "on" },
        });
        clusters.push(cluster);
        clientRows.push({ fsync, figures: await compareClients(cluster.url, `fsync_${fsync}`) });
        if (ONLY_CLIENTS) continue;
        const durable = fsync === "on" ? "power loss (fsync on)" : "kill -9 of PostgreSQL only (fsync off)";
        // A schema of its own per variant: each seeds and drains the same SKUs.
        const url = async (name: string, params: string) =>
          `${await freshSchemaUrl(cluster.url, name)}&pool=${POOL}${params}`;
        variants.push(
          { name: `pg-fsync-${fsync}`, durable, url: () => url(`fsync_${fsync}`, ""), cluster },
          {
            name: `pg-fsync-${fsync}-1stmt`,
            durable,
            url: () => url(`fsync_${fsync}_1stmt`, "&batches=0"),
            cluster,
          },
        );
      }
    } catch (error) {
      console.log(`store bench: PostgreSQL skipped (${error instanceof Error ? error.message : error})`);
    }
    if (!ONLY_CLIENTS) for (const v of variants) rows.push(await measure(v));
  } finally {
    for (const c of clusters) await c.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  printClients(clientRows);
  if (ONLY_CLIENTS) return;
  const memory = rows[0]!;
  console.log(
    `store bench: ${ORDERS} orders (5 store calls each, ${IN_FLIGHT} in flight); ${CLAIMERS} claimers; ` +
      `PostgreSQL pool ${POOL}; "-1stmt" = group commit off (each call its own statement, as before issue 19)`,
  );
  console.log(
    `machine load average ${loadavg()[0]!.toFixed(1)} (absolute figures drift with it; ratios less so)`,
  );
  const w = Math.max(...rows.map((r) => r.store.length)) + 1;
  console.log(
    `${"store".padEnd(w)} orders/s  vs memory  cpu us/order   claims/s  vs memory  durable against`,
  );
  for (const r of rows) {
    console.log(
      `${r.store.padEnd(w)} ${r.orders.toFixed(0).padStart(8)} ${(r.orders / memory.orders).toFixed(3).padStart(10)}` +
        ` ${r.cpuUs.toFixed(1).padStart(13)} ${r.claims.toFixed(0).padStart(10)} ${(r.claims / memory.claims).toFixed(3).padStart(10)}  ${r.durable}`,
    );
  }
  console.log(
    "\nPostgreSQL, per order (orders phase): server = this process's CPU; database = the cluster's CPU " +
      "(postmaster, backends, WAL writer); WAL syncs include the claims phase (upper bound)",
  );
  console.log(
    `${"store".padEnd(w)} server us  database us  round trips  writes/statement  pool waits  wait ms  WAL syncs`,
  );
  for (const r of rows) {
    if (!r.perOrder || r.dbCpuUs === undefined) continue;
    const p = r.perOrder;
    console.log(
      `${r.store.padEnd(w)} ${r.cpuUs.toFixed(0).padStart(9)} ${r.dbCpuUs.toFixed(0).padStart(12)} ` +
        `${p.roundTrips.toFixed(2).padStart(12)} ${p.opsPerBatch.toFixed(1).padStart(17)} ` +
        `${p.poolWaits.toFixed(2).padStart(11)} ${p.poolWaitMs.toFixed(2).padStart(8)} ${p.walSyncs.toFixed(2).padStart(10)}`,
    );
  }
  const pair = (a: string, b: string) => {
    const x = rows.find((r) => r.store === a);
    const y = rows.find((r) => r.store === b);
    return x && y ? `${(x.orders / y.orders).toFixed(2)}x orders/s` : "n/a";
  };
  console.log(
    `group commit vs one statement per call: fsync off ${pair("pg-fsync-off", "pg-fsync-off-1stmt")}, ` +
      `fsync on ${pair("pg-fsync-on", "pg-fsync-on-1stmt")}`,
  );
}

function printClients(clientRows: { fsync: string; figures: ClientFigures[] }[]): void {
  if (clientRows.length === 0) return;
  console.log(
    "PostgreSQL clients, the same group-commit statements (16 orders recorded + 16 claims + 16 end states each), " +
      `pool 4, 16 statements in flight, two alternating rounds each; machine load average ${loadavg()[0]!.toFixed(1)}`,
  );
  console.log("fsync  client     statements/s  orders/s  client CPU us/order  rows");
  for (const { fsync, figures } of clientRows) {
    for (const f of figures) {
      console.log(
        `${fsync.padEnd(5)}  ${f.client.padEnd(9)} ${f.statementsPerS.toFixed(0).padStart(13)} ${f.ordersPerS.toFixed(0).padStart(9)}` +
          ` ${f.cpuUsPerOrder.toFixed(1).padStart(20)} ${String(f.rows).padStart(5)}`,
      );
    }
    const mean = (c: string) => {
      const xs = figures.filter((f) => f.client === c);
      return xs.reduce((s, f) => s + f.statementsPerS, 0) / xs.length;
    };
    console.log(`fsync ${fsync}: postgres / pg statements/s ${(mean("postgres") / mean("pg")).toFixed(2)}x`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
