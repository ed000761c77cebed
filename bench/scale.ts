// Scale-out on PostgreSQL: orders/s of 1 vs 2 `rushhour serve` instances sharing one throwaway
// PostgreSQL database (provider farm apart, zero-ish latency providers), driven closed-loop by the same
// client (CONCURRENCY submitters spread evenly over the instances), rounds alternating 1, 2, 1, 2 so
// drift on this shared machine hits all arms alike; beside them, one instance with group commit off
// (the store before issue 19) in the same run. PostgreSQL runs with fsync on, as a user's would.
// Each round also measures the CPU used by the instances, by PostgreSQL (postmaster and backends) and by the farm, in cores (CPU seconds per wall second).
// This machine has 2 cores: the ratio says what a second instance buys here, not linear scaling.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { credentials } from "@grpc/grpc-js";
import { Admin } from "../load/admin.ts";
import { startTopology, type Topology } from "../load/topology.ts";
import { CustomerTier, OrderState } from "../proto/gen/rushhour/v1/common.ts";
import { DispatchServiceClient, WaitMode } from "../proto/gen/rushhour/v1/dispatch.ts";
import { cpuSeconds, postgresCpuSeconds } from "./support/cpu.ts";

const CONCURRENCY = 64;
const WARMUP_ORDERS = 300;
const ORDERS = 3000;
const ROUNDS = 2;
interface CpuSample {
  instances: number;
  postgres: number;
  farm: number;
}

function sampleCpu(t: Topology, pgDir: string): CpuSample {
  return {
    instances: t.primaries.reduce((s, m) => s + cpuSeconds(m.pid() ?? 0), 0),
    postgres: postgresCpuSeconds(pgDir),
    farm: cpuSeconds(t.farm.pid() ?? 0),
  };
}

async function drive(clients: DispatchServiceClient[], prefix: string, count: number): Promise<number> {
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
            sku: `sku-${1 + (i % 10)}`,
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

/** One arm of the bench: how many instances, and with or without group commit. */
interface Arm {
  name: string;
  instances: number;
  groupCommit: boolean;
  /** Store URL parameters beyond the group-commit switch (e.g. "batches=16"). */
  urlParams?: string;
}

const ARMS: Arm[] = [
  { name: "1, one stmt/call", instances: 1, groupCommit: false },
  { name: "1", instances: 1, groupCommit: true },
  { name: "2", instances: 2, groupCommit: true },
  // More group-commit statements in flight: PostgreSQL flushes the WAL once for the commits waiting
  // together, so with fsync on a write need not wait for one of 4 slots and then its own flush.
  { name: "1, ?batches=16", instances: 1, groupCommit: true, urlParams: "batches=16" },
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
    spec: { instances: arm.instances, backup: false, store: "postgres" },
    database: {
      settings: { fsync: FSYNC, full_page_writes: FSYNC },
      ...(arm.groupCommit ? (arm.urlParams ? { urlParams: arm.urlParams } : {}) : { urlParams: "batches=0" }),
    },
    providers: [{ id: "p1", p50Ms: 1, p99Ms: 3, capacity: 1000, errorRate: 0 }],
    config: "adaptive",
    skuCount: 10,
    seed: 1,
  });
  try {
    const pgDir = t.databaseDir as string;
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

export async function run(): Promise<void> {
  const rounds: Round[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const arm of ARMS)
      rounds.push(
        await round(arm, `r${r}${arm.instances}${arm.groupCommit ? "g" : "s"}-${Date.now().toString(36)}`),
      );
  }
  console.log(
    `closed loop, ${CONCURRENCY} submitters, ${ORDERS} orders per round after ${WARMUP_ORDERS} warm-up, ` +
      `rounds alternating; PostgreSQL fsync ${FSYNC}; CPU in cores (2 on this machine); ` +
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
  const [before, one, two, deep] = ARMS as [Arm, Arm, Arm, Arm];
  console.log(
    `1 instance, group commit vs one statement per call: ${fmt(mean(one) / mean(before), 2)}x orders/s ` +
      `(${fmt(mean(before))} -> ${fmt(mean(one))}); server+PostgreSQL CPU per 1,000 orders/s ` +
      `${fmt(cpuPerK(before), 2)} -> ${fmt(cpuPerK(one), 2)} cores (${fmt(cpuPerK(one) / cpuPerK(before), 2)}x)`,
  );
  console.log(
    `1 instance, ?batches=16 vs one statement per call: ${fmt(mean(deep) / mean(before), 2)}x orders/s ` +
      `(${fmt(mean(before))} -> ${fmt(mean(deep))}); vs ?batches=4 ${fmt(mean(deep) / mean(one), 2)}x; ` +
      `server+PostgreSQL CPU per 1,000 orders/s ${fmt(cpuPerK(deep), 2)} cores`,
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
