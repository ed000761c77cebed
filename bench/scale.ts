// Scale-out on PostgreSQL: orders/s of 1 vs 2 `rushhour serve` instances sharing one throwaway
// PostgreSQL database (provider farm apart, zero-ish latency providers), driven closed-loop by the same
// client (CONCURRENCY submitters spread evenly over the instances), rounds alternating 1, 2, 1, 2 so
// drift on this shared machine hits both alike. Each round also measures the CPU used by the instances,
// by PostgreSQL (postmaster and backends) and by the farm, in cores (CPU seconds per wall second).
// This machine has 2 cores: the ratio says what a second instance buys here, not linear scaling.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { credentials } from "@grpc/grpc-js";
import { Admin } from "../load/admin.ts";
import { postgresPids, startTopology, type Topology } from "../load/topology.ts";
import { CustomerTier, OrderState } from "../proto/gen/rushhour/v1/common.ts";
import { DispatchServiceClient, WaitMode } from "../proto/gen/rushhour/v1/dispatch.ts";

const CONCURRENCY = 64;
const WARMUP_ORDERS = 300;
const ORDERS = 3000;
const ROUNDS = 2;
/** Linux USER_HZ: /proc/<pid>/stat times are in these ticks. */
const TICKS_PER_S = 100;

/** CPU seconds so far of a process (and of its reaped children, for the postmaster). */
function cpuSeconds(pid: number, withChildren = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14-17 of stat (utime, stime, cutime, cstime) are 11-14 here, after pid and comm.
    const own = Number(f[11]) + Number(f[12]);
    const children = withChildren ? Number(f[13]) + Number(f[14]) : 0;
    return (own + children) / TICKS_PER_S;
  } catch {
    return 0;
  }
}

interface CpuSample {
  instances: number;
  postgres: number;
  farm: number;
}

function sampleCpu(t: Topology, pgDir: string): CpuSample {
  const [postmaster, ...backends] = postgresPids(pgDir);
  return {
    instances: t.primaries.reduce((s, m) => s + cpuSeconds(m.pid() ?? 0), 0),
    postgres: cpuSeconds(postmaster as number, true) + backends.reduce((s, pid) => s + cpuSeconds(pid), 0),
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

interface Round {
  instances: number;
  ordersPerS: number;
  delivered: number;
  cpu: CpuSample;
  driverCpu: number;
}

async function round(instances: number, tag: string): Promise<Round> {
  const t = await startTopology({
    spec: { instances, backup: false, store: "postgres" },
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
        instances,
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
    for (const n of [1, 2]) rounds.push(await round(n, `r${r}n${n}-${Date.now().toString(36)}`));
  }
  console.log(
    `closed loop, ${CONCURRENCY} submitters, ${ORDERS} orders per round after ${WARMUP_ORDERS} warm-up, ` +
      "rounds alternating; CPU in cores (2 on this machine)",
  );
  console.log("instances  orders/s  delivered  CPU instances  CPU postgres  CPU farm  CPU driver  total");
  for (const r of rounds) {
    const total = r.cpu.instances + r.cpu.postgres + r.cpu.farm + r.driverCpu;
    console.log(
      `${String(r.instances).padEnd(9)}  ${fmt(r.ordersPerS).padStart(8)}  ${String(r.delivered).padStart(9)}  ` +
        `${fmt(r.cpu.instances, 2).padStart(13)}  ${fmt(r.cpu.postgres, 2).padStart(12)}  ${fmt(r.cpu.farm, 2).padStart(8)}  ` +
        `${fmt(r.driverCpu, 2).padStart(10)}  ${fmt(total, 2).padStart(5)}`,
    );
  }
  const mean = (n: number) => {
    const xs = rounds.filter((r) => r.instances === n).map((r) => r.ordersPerS);
    return xs.reduce((s, x) => s + x, 0) / xs.length;
  };
  const cpuPerK = (n: number) => {
    const rs = rounds.filter((r) => r.instances === n);
    const cpu = rs.reduce((s, r) => s + r.cpu.instances + r.cpu.postgres, 0) / rs.length;
    return (cpu / mean(n)) * 1000;
  };
  console.log(
    `throughput 2 instances / 1 instance: ${fmt(mean(2) / mean(1), 2)} (${fmt(mean(1))} -> ${fmt(mean(2))} orders/s); ` +
      `server+PostgreSQL CPU per 1,000 orders/s: ${fmt(cpuPerK(1), 2)} cores (1) vs ${fmt(cpuPerK(2), 2)} cores (2)`,
  );
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  console.log(
    `machine load average during the bench: ${load} (other work on this machine skews absolute figures)`,
  );
}
