// Replay (issue 14), measured:
// 1. parse speed: orders per second one streamed pass over a generated gzip log (default 10 million
//    orders, 1 hour of a promotion) is read, re-sorted and parsed at;
// 2. flat memory: that log replayed in the simulator, heap used (after a full GC) at every million
//    orders, and the peak RSS next to a 100,000-order log's;
// 3. live timing: a slice of the shipped promotion log (with a 3x burst) replayed by the load driver
//    against the fixture server in its own process; per-second sent counts (binned by send time) against
//    the log's scaled per-second counts (max and mean deviation), drops and late sends.
// Run: npm run bench -- replay. Env: BENCH_REPLAY_ORDERS (default 10000000), BENCH_REPLAY_PEAK (the live
// slice's peakRate, default: the slice's own peak), BENCH_REPLAY_SKIP=sim|live. The generated logs are
// cached in out/bench-cache/ (the first run writes them).
import { existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import { loadavg } from "node:os";
import { basename, join } from "node:path";
import { enginesFor, runPool } from "../load/pool.ts";
import { validateScenario } from "../scenarios/define.ts";
import { PROMO_LOG_DEFAULTS, promoLog } from "../scenarios/logs/promo-log.ts";
import { presetConfig } from "../server/core/config.ts";
import { runReplication } from "../simulator/replication.ts";
import { OrderedRecords } from "../traffic/replay/ordered.ts";
import { ReplayTimeline } from "../traffic/replay/timeline.ts";
import { OrderLogWriter } from "../traffic/replay/writer.ts";
import type { Traffic } from "../traffic/schema.ts";
import { startServer } from "./load.ts";
import { gc } from "./support/gc.ts";
import { describeDeviation, perSecondDeviation, scheduledPerSecond } from "./support/per-second.ts";

const ORDERS = Number(process.env.BENCH_REPLAY_ORDERS ?? 10_000_000);
const SKIP = process.env.BENCH_REPLAY_SKIP ?? "";
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

async function writeLog(file: string, orders: number, seconds: number): Promise<number> {
  const out = new OrderLogWriter(file);
  await out.ready();
  for (const o of promoLog({ ...PROMO_LOG_DEFAULTS, orders, seconds })) if (out.add(o)) await out.drain();
  await out.close();
  return out.written;
}

/** A cheap cluster (the core and the replay are measured, not queueing): no order waits long. */
function scenarioFor(file: string) {
  return validateScenario({
    name: "bench-replay",
    traffic: { executor: "replay", file },
    skus: { count: 200, zipfExponent: 1.1 },
    providers: [{ id: "p1", latency: { p50: "10ms", p99: "30ms" }, capacity: 5000 }],
    cluster: {
      primary: { workers: 4000, cores: 16 },
      backup: { workers: 100, cores: 2 },
      cpuCostMs: { accept: 0.01, allocate: 0.01, issue: 0.01, deliver: 0.01, retry: 0.01 },
    },
    drain: "5s",
    window: "10s",
  });
}

function simulate(file: string, label: string): void {
  const scenario = scenarioFor(file);
  const heap: number[] = [];
  let done = 0;
  const t0 = performance.now();
  runReplication({
    scenario,
    traffic: scenario.traffic,
    cluster: scenario.cluster,
    config: presetConfig("adaptive")!,
    seed: 1,
    detailed: false,
    onTerminal: () => {
      if (++done % 1_000_000 === 0) {
        gc();
        heap.push(process.memoryUsage().heapUsed);
      }
    },
  });
  const wall = (performance.now() - t0) / 1000;
  const rss = process.resourceUsage().maxRSS * 1024;
  console.log(
    `${label}: ${done.toLocaleString("en")} orders simulated in ${wall.toFixed(1)} s (${Math.round(done / wall).toLocaleString("en")} orders/s); peak RSS so far ${mb(rss)}`,
  );
  if (heap.length >= 2) {
    const first = heap[0] as number;
    const last = heap[heap.length - 1] as number;
    console.log(`  heap after GC at each million: ${heap.map(mb).join(", ")}`);
    console.log(
      `  first -> last million: ${mb(first)} -> ${mb(last)} (${(((last - first) / first) * 100).toFixed(1)}%; max ${mb(Math.max(...heap))})`,
    );
  }
}

/**
 * The generated log for `orders`, kept under out/bench-cache/ (generating 10 million orders takes minutes;
 * the generator is seeded, so a cached file is the same log). Written under a temporary name and renamed,
 * so an interrupted run never leaves a short log behind.
 */
async function cachedLog(orders: number, seconds: number): Promise<string> {
  const dir = new URL("../out/bench-cache/", import.meta.url).pathname;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `promo-${orders}-${seconds}s.csv.gz`);
  if (existsSync(file)) {
    console.log(`log: ${file} (cached; delete it to regenerate)`);
    return file;
  }
  const t0 = performance.now();
  // The writer compresses by the name's ".gz" ending, so the temporary name keeps it.
  const part = join(dir, `part-${basename(file)}`);
  const n = await writeLog(part, orders, seconds);
  renameSync(part, file);
  console.log(
    `generated ${n.toLocaleString("en")} orders over ${seconds} s into ${file}: ${mb(statSync(file).size)} gzip, ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );
  return file;
}

async function simPart(): Promise<void> {
  const small = await cachedLog(100_000, 36);
  const big = await cachedLog(ORDERS, Math.max(36, Math.round(ORDERS / 2800)));
  let t0 = performance.now();
  // Parse speed: one pass, as the replay reads (gunzip, split, parse, read-ahead heap).
  gc();
  t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const reader = new OrderedRecords(big, {});
  let count = 0;
  while (reader.next() !== null) count++;
  const parseS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  // On a shared machine wall time counts other processes' turns: the CPU time is this pass's own cost.
  console.log(
    `parse: ${count.toLocaleString("en")} orders in ${parseS.toFixed(1)} s wall = ${(count / parseS / 1e6).toFixed(2)} M orders/s; ${cpuS.toFixed(1)} s CPU = ${(count / cpuS / 1e6).toFixed(2)} M orders per CPU second (acceptance: >= 1 M orders/s; load average ${loadavg()[0]?.toFixed(1)})`,
  );
  gc();
  simulate(small, "100k-order log");
  simulate(big, `${(ORDERS / 1e6).toFixed(0)}M-order log`);
}

async function livePart(): Promise<void> {
  const file = new URL("../scenarios/logs/promo-2025.csv.gz", import.meta.url).pathname;
  // 45 s..75 s of the shipped promotion: its plateau and the first 3x burst (about 4,700/s).
  const peak = process.env.BENCH_REPLAY_PEAK;
  const executor = {
    executor: "replay" as const,
    file,
    from: 45_000,
    to: 75_000,
    ...(peak === undefined ? { speed: 1 } : { peakRate: Number(peak) }),
  };
  const scenario = validateScenario({
    name: "bench-live",
    traffic: executor,
    providers: [{ id: "p1", latency: { p50: 1, p99: 2 }, capacity: 1 }],
    cluster: { primary: { workers: 1 }, backup: { workers: 1 } },
  });
  const timeline = new ReplayTimeline(scenario.traffic as Extract<Traffic, { executor: "replay" }>);
  const expected = scheduledPerSecond(timeline.count, (i) => timeline.at(i).atMs);
  timeline.close();
  // As many engines as the driver itself picks for this peak (load/pool.ts): on 2 cores, one.
  const engines = enginesFor(Math.max(...expected));
  const server = await startServer("lean");
  try {
    console.log(
      `live: ${timeline.count} orders over ${expected.length} s, busiest second ${Math.max(...expected)}, ${engines} engine process${engines === 1 ? "" : "es"} (load average ${loadavg()[0]?.toFixed(2)})`,
    );
    const pool = runPool({
      spec: {
        executor: { ...executor, gracefulStop: 10_000 },
        targets: [server.address],
        windowMs: 1000,
        requestTimeoutMs: 10_000,
        mix: {
          seed: 1,
          skuCount: 200,
          zipfExponent: 1,
          vipShare: 0.05,
          keyPrefix: `bench-replay-${Date.now()}`,
        },
      },
      engines,
    });
    const result = await pool.done;
    const sent = result.windows.map((w) => w.counts.started);
    const c = result.counts;
    console.log(
      `  sent ${c.started} of ${timeline.count}, dropped ${c.dropped}, late (sent after their second) ${c.late}, failed ${c.failed} ${JSON.stringify(result.errorCodes)}; max send lag ${result.maxSendLagMs.toFixed(1)} ms`,
    );
    console.log(`  ${describeDeviation(perSecondDeviation(sent, expected))}`);
    console.log(`  per second, log: ${expected.join(" ")}`);
    console.log(`  per second, sent: ${expected.map((_, s) => sent[s] ?? 0).join(" ")}`);
    console.log(
      `  max send lag per second (ms): ${result.windows.map((w) => w.maxSendLagMs.toFixed(0)).join(" ")}; engine busy ${result.loopUtilization.map((u) => `${(u * 100).toFixed(0)}%`).join(", ")}`,
    );
    const peakS = expected.indexOf(Math.max(...expected));
    console.log(
      `  at the log's peak second ${peakS}: sent ${sent[peakS]}, log ${expected[peakS]} (load average now ${loadavg()[0]?.toFixed(2)})`,
    );
  } finally {
    server.stop();
  }
}

export async function run(): Promise<void> {
  if (SKIP !== "live") await livePart();
  if (SKIP !== "sim") await simPart();
}
