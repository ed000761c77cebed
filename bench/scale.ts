// PostgreSQL at the peak (issue 19), two parts measured side by side in one run.
//
// 1. The store's capacity: one lean `rushhour serve` instance (providers in-process with zero latency,
//    no farm, as bench/server.ts runs it) on a throwaway PostgreSQL with fsync on, closed loop, arms
//    alternating round by round: the store as it was before issue 19 (one statement per call, a stock
//    count every 50 ms), the store as shipped, and the memory store (the same server with no database:
//    the ceiling this machine allows). Server and database CPU per order are read from /proc.
//
// 2. Scale-out, the full pipeline: orders/s of 1 vs 2 `rushhour serve` instances sharing one throwaway
//    PostgreSQL database (provider farm apart, zero-ish latency providers), driven closed-loop by the
//    same client (CONCURRENCY submitters spread evenly over the instances), rounds alternating so drift
//    on this shared machine hits all arms alike; beside them, one instance with group commit off and
//    one on the memory store (the pipeline's ceiling here). PostgreSQL runs with fsync on, as a user's
//    would. Each round also measures the CPU used by the instances, by PostgreSQL (postmaster and
//    backends) and by the farm, in cores (CPU seconds per wall second). This machine has 2 cores: the
//    ratio says what a second instance buys here, not linear scaling.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { credentials } from "@grpc/grpc-js";
import pg from "pg";
import { Admin } from "../load/admin.ts";
import { startTopology, type Topology } from "../load/topology.ts";
import { CustomerTier, OrderState } from "../proto/gen/rushhour/v1/common.ts";
import { DispatchServiceClient, WaitMode } from "../proto/gen/rushhour/v1/dispatch.ts";
import { freshSchemaUrl, startThrowawayPostgres } from "../server/store/pg-cluster.ts";
import { cpuSeconds, postgresCpuSeconds } from "./support/cpu.ts";
import { LEAN_SKUS, spawnLeanServe } from "./support/lean-serve.ts";

const CONCURRENCY = 64;
const WARMUP_ORDERS = 300;
const ORDERS = 3000;
const ROUNDS = 2;
interface CpuSample {
  instances: number;
  postgres: number;
  farm: number;
}

function sampleCpu(t: Topology, pgDir: string | null): CpuSample {
  return {
    instances: t.primaries.reduce((s, m) => s + cpuSeconds(m.pid() ?? 0), 0),
    postgres: pgDir === null ? 0 : postgresCpuSeconds(pgDir),
    farm: cpuSeconds(t.farm.pid() ?? 0),
  };
}

async function drive(
  clients: DispatchServiceClient[],
  prefix: string,
  count: number,
  skus = 10,
): Promise<number> {
  let next = 0;
  let delivered = 0;
  const worker = async (w: number) => {
    const client = clients[w % clients.length] as DispatchServiceClient;
    while (next < count) {
      const i = next++;
      await new Promise<void>((resolve) => {
        client.submitOrder(
          {
            idempotencyKey: `${prefix}-${i}`,
            sku: `sku-${1 + (i % skus)}`,
            tier: CustomerTier.CUSTOMER_TIER_STANDARD,
            waitMode: WaitMode.WAIT_MODE_DELIVERED,
          },
          (err, res) => {
            if (!err && res.order?.state === OrderState.ORDER_STATE_DELIVERED) delivered++;
            resolve();
          },
        );
      });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)));
  return delivered;
}

/** One arm of the scale-out part: how many instances, the store, and with or without group commit. */
interface Arm {
  name: string;
  instances: number;
  store: "postgres" | "memory";
  groupCommit: boolean;
}

const ARMS: Arm[] = [
  { name: "1, one stmt/call", instances: 1, store: "postgres", groupCommit: false },
  { name: "1", instances: 1, store: "postgres", groupCommit: true },
  { name: "2", instances: 2, store: "postgres", groupCommit: true },
  // The same pipeline with no database: what any store can reach on this machine, where the
  // instances, the farm and the driver share 2 cores.
  { name: "1, memory store", instances: 1, store: "memory", groupCommit: true },
];

/** fsync on is what a user's database does; BENCH_SCALE_FSYNC=off measures as the test clusters run. */
const FSYNC = process.env.BENCH_SCALE_FSYNC === "off" ? "off" : "on";

interface Round {
  arm: Arm;
  ordersPerS: number;
  delivered: number;
  cpu: CpuSample;
  driverCpu: number;
}

async function round(arm: Arm, tag: string): Promise<Round> {
  const t = await startTopology({
    spec: { instances: arm.instances, backup: false, store: arm.store },
    database: {
      settings: { fsync: FSYNC, full_page_writes: FSYNC },
      ...(arm.groupCommit ? {} : { urlParams: "batches=0" }),
    },
    providers: [{ id: "p1", p50Ms: 1, p99Ms: 3, capacity: 1000, errorRate: 0 }],
    config: "adaptive",
    skuCount: 10,
    seed: 1,
  });
  try {
    const pgDir = t.databaseDir;
    const admin = new Admin(t.targets()[0] as string, t.adminToken);
    try {
      for (let s = 1; s <= 10; s++) {
        const codes = Array.from(
          { length: (WARMUP_ORDERS + ORDERS) / 10 + 50 },
          (_, i) => `${tag}-${s}-${i}`,
        );
        await admin.importCards(`sku-${s}`, codes);
      }
    } finally {
      admin.close();
    }
    const clients = t.targets().flatMap((a) =>
      [0, 1].map(
        () =>
          new DispatchServiceClient(a, credentials.createInsecure(), {
            "grpc.use_local_subchannel_pool": 1,
          }),
      ),
    );
    try {
      await drive(clients, `${tag}-warm`, WARMUP_ORDERS);
      const before = sampleCpu(t, pgDir);
      const driverBefore = process.cpuUsage();
      const t0 = performance.now();
      const delivered = await drive(clients, tag, ORDERS);
      const wall = (performance.now() - t0) / 1000;
      const after = sampleCpu(t, pgDir);
      const d = process.cpuUsage(driverBefore);
      return {
        arm,
        ordersPerS: ORDERS / wall,
        delivered,
        cpu: {
          instances: (after.instances - before.instances) / wall,
          postgres: (after.postgres - before.postgres) / wall,
          farm: (after.farm - before.farm) / wall,
        },
        driverCpu: (d.user + d.system) / 1e6 / wall,
      };
    } finally {
      for (const c of clients) c.close();
    }
  } finally {
    await t.stop();
  }
}

const fmt = (x: number, d = 0) => x.toFixed(d);

/** One arm of the store-capacity part: the store URL's parameters and the server's own flags. */
interface LeanArm {
  name: string;
  store: "memory" | "postgres";
  urlParams: string;
  serveArgs: string[];
}

const LEAN_ARMS: LeanArm[] = [
  {
    name: "postgres, before issue 19",
    store: "postgres",
    urlParams: "&batches=0",
    serveArgs: ["--stock-cache-ms", "50"],
  },
  { name: "postgres", store: "postgres", urlParams: "", serveArgs: [] },
  { name: "memory (no database)", store: "memory", urlParams: "", serveArgs: [] },
];
const LEAN_ROUNDS = 3;
const LEAN_WARMUP = 1000;
const LEAN_ORDERS = 10_000;
const LEAN_CHANNELS = 4;

interface LeanRound {
  arm: LeanArm;
  ordersPerS: number;
  delivered: number;
  /** CPU seconds per order. */
  server: number;
  database: number;
}

async function leanRound(
  arm: LeanArm,
  clusterUrl: string,
  clusterDir: string,
  n: number,
): Promise<LeanRound> {
  const schema = `lean_${n}`;
  const store =
    arm.store === "memory" ? "memory:" : `${await freshSchemaUrl(clusterUrl, schema)}${arm.urlParams}`;
  const serve = await spawnLeanServe(store, arm.serveArgs);
  const clients = Array.from(
    { length: LEAN_CHANNELS },
    () =>
      new DispatchServiceClient(serve.address, credentials.createInsecure(), {
        "grpc.use_local_subchannel_pool": 1,
      }),
  );
  try {
    await drive(clients, `lean${n}-warm`, LEAN_WARMUP, LEAN_SKUS);
    const pid = serve.proc.pid as number;
    const server0 = cpuSeconds(pid);
    const db0 = arm.store === "postgres" ? postgresCpuSeconds(clusterDir) : 0;
    const t0 = performance.now();
    const delivered = await drive(clients, `lean${n}`, LEAN_ORDERS, LEAN_SKUS);
    const wall = (performance.now() - t0) / 1000;
    const server = cpuSeconds(pid) - server0;
    const database = arm.store === "postgres" ? postgresCpuSeconds(clusterDir) - db0 : 0;
    return {
      arm,
      ordersPerS: LEAN_ORDERS / wall,
      delivered,
      server: server / LEAN_ORDERS,
      database: database / LEAN_ORDERS,
    };
  } finally {
    for (const c of clients) c.close();
    await serve.stop();
    if (arm.store === "postgres") await dropAndCheckpoint(clusterUrl, schema);
  }
}

/**
 * Drops a round's schema and flushes the cluster's dirty pages: otherwise autovacuum of the old tables
 * and the checkpoint of their pages run during a later round and are charged to its arm.
 */
async function dropAndCheckpoint(clusterUrl: string, schema: string): Promise<void> {
  const admin = new pg.Client(clusterUrl);
  await admin.connect();
  try {
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.query("CHECKPOINT");
  } finally {
    await admin.end();
  }
}

/** Part 1: the store's capacity, one lean instance (see the header). */
async function storeCapacity(): Promise<void> {
  console.log(
    `store capacity: one lean serve instance (local:zero providers, no farm), closed loop, ${CONCURRENCY} submitters ` +
      `over ${LEAN_CHANNELS} channels, ${LEAN_ORDERS} orders per round after ${LEAN_WARMUP} warm-up, ` +
      `${LEAN_ROUNDS} rounds alternating; PostgreSQL fsync on; CPU in us per order`,
  );
  console.log("arm                          orders/s  delivered  CPU server  CPU database");
  const cluster = await startThrowawayPostgres({ settings: { fsync: "on", full_page_writes: "on" } });
  const rounds: LeanRound[] = [];
  try {
    let n = 0;
    for (let r = 0; r < LEAN_ROUNDS; r++) {
      for (const arm of LEAN_ARMS) {
        const round = await leanRound(arm, cluster.url, cluster.dir, n++);
        rounds.push(round);
        // Each round as it ends: the part takes a few minutes.
        console.log(
          `${arm.name.padEnd(27)}  ${fmt(round.ordersPerS).padStart(8)}  ${String(round.delivered).padStart(9)}  ` +
            `${fmt(round.server * 1e6).padStart(10)}  ${(arm.store === "postgres" ? fmt(round.database * 1e6) : "-").padStart(12)}`,
        );
      }
    }
  } finally {
    await cluster.stop();
  }
  const of = (arm: LeanArm) => rounds.filter((r) => r.arm === arm);
  const mean = (arm: LeanArm, f: (r: LeanRound) => number) =>
    of(arm).reduce((s, r) => s + f(r), 0) / of(arm).length;
  const [before, now, memory] = LEAN_ARMS as [LeanArm, LeanArm, LeanArm];
  const rate = (arm: LeanArm) => mean(arm, (r) => r.ordersPerS);
  // Cores per 1,000 orders/s = CPU seconds per order x 1,000.
  const perK = (arm: LeanArm) => mean(arm, (r) => r.server + r.database) * 1000;
  console.log(
    `PostgreSQL, one instance: ${fmt(rate(now))} orders/s (target >= 1,500: ${rate(now) >= 1500 ? "met" : "not met"}); ` +
      `${fmt(rate(now) / rate(before), 2)}x the store before issue 19 (${fmt(rate(before))} orders/s; target >= 4x: ` +
      `${rate(now) / rate(before) >= 4 ? "met" : "not met"}); ${fmt(rate(now) / rate(memory), 2)}x the memory store ` +
      `(${fmt(rate(memory))} orders/s, the ceiling here)`,
  );
  console.log(
    `server+PostgreSQL CPU per 1,000 orders/s: ${fmt(perK(before), 2)} -> ${fmt(perK(now), 2)} cores ` +
      `(${fmt(perK(now) / perK(before), 2)}x; target <= 0.5x: ${perK(now) / perK(before) <= 0.5 ? "met" : "not met"})`,
  );
}

export async function run(): Promise<void> {
  await storeCapacity();
  if (process.env.BENCH_SCALE_ONLY === "store") return;
  const rounds: Round[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const arm of ARMS)
      rounds.push(
        await round(arm, `r${r}${arm.instances}${arm.groupCommit ? "g" : "s"}-${Date.now().toString(36)}`),
      );
  }
  console.log(
    `closed loop, ${CONCURRENCY} submitters, ${ORDERS} orders per round after ${WARMUP_ORDERS} warm-up, ` +
      `rounds alternating; the full pipeline (provider farm, adaptive); PostgreSQL fsync ${FSYNC}; CPU in cores (2 on this machine); ` +
      '"one stmt/call" = group commit off (?batches=0), the store before issue 19',
  );
  console.log(
    "instances         orders/s  delivered  CPU instances  CPU postgres  CPU farm  CPU driver  total",
  );
  for (const r of rounds) {
    const total = r.cpu.instances + r.cpu.postgres + r.cpu.farm + r.driverCpu;
    console.log(
      `${r.arm.name.padEnd(16)}  ${fmt(r.ordersPerS).padStart(8)}  ${String(r.delivered).padStart(9)}  ` +
        `${fmt(r.cpu.instances, 2).padStart(13)}  ${fmt(r.cpu.postgres, 2).padStart(12)}  ${fmt(r.cpu.farm, 2).padStart(8)}  ` +
        `${fmt(r.driverCpu, 2).padStart(10)}  ${fmt(total, 2).padStart(5)}`,
    );
  }
  const of = (arm: Arm) => rounds.filter((r) => r.arm === arm);
  const mean = (arm: Arm) => of(arm).reduce((s, r) => s + r.ordersPerS, 0) / of(arm).length;
  // Server plus database cores per 1,000 orders/s: what an order costs, whatever the throughput.
  const cpuPerK = (arm: Arm) => {
    const cpu = of(arm).reduce((s, r) => s + r.cpu.instances + r.cpu.postgres, 0) / of(arm).length;
    return (cpu / mean(arm)) * 1000;
  };
  const [before, one, two, memory] = ARMS as [Arm, Arm, Arm, Arm];
  console.log(
    `1 instance, group commit vs one statement per call: ${fmt(mean(one) / mean(before), 2)}x orders/s ` +
      `(${fmt(mean(before))} -> ${fmt(mean(one))}); server+PostgreSQL CPU per 1,000 orders/s ` +
      `${fmt(cpuPerK(before), 2)} -> ${fmt(cpuPerK(one), 2)} cores (${fmt(cpuPerK(one) / cpuPerK(before), 2)}x)`,
  );
  console.log(
    `1 instance, PostgreSQL vs the memory store on the same pipeline: ${fmt(mean(one) / mean(memory), 2)}x ` +
      `(${fmt(mean(memory))} orders/s with no database: the pipeline's own ceiling on this machine)`,
  );
  console.log(
    `throughput 2 instances / 1 instance: ${fmt(mean(two) / mean(one), 2)} (${fmt(mean(one))} -> ${fmt(mean(two))} orders/s); ` +
      `server+PostgreSQL CPU per 1,000 orders/s: ${fmt(cpuPerK(one), 2)} cores (1) vs ${fmt(cpuPerK(two), 2)} cores (2)`,
  );
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  console.log(
    `machine load average during the bench: ${load} (other work on this machine skews absolute figures)`,
  );
}
