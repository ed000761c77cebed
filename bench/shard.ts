// Sharded load on one machine (issue 16): 3 `rushhour load --segment i/3` processes sharing one --start-at,
// 3,000 orders/s together, against the lean fixture server (its own process), then one unsharded process at
// 3,000/s against the same server. Prints, per second, the schedule's orders and those sent (binned by send
// time from the shared start) by the merged shards and by the unsharded run; each against the schedule
// (max and mean deviation); each shard's late start; the merged and unsharded P99. The server is warmed
// first (WARM_S seconds at the rate, unmeasured), so that both runs meet it warm.
// Run: npm run bench -- shard. Env: BENCH_SHARD_SECONDS (default 10), BENCH_SHARD_RATE (default 3000),
// BENCH_SHARD_LEAD_S (default 30).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runPool } from "../load/pool.ts";
import { readRunResultFile, runResultFiles } from "../reports/load-runs.ts";
import { mergeShards } from "../results/merge.ts";
import type { RunResult } from "../results/run-result.ts";
import { planFor } from "../traffic/executors/index.ts";
import type { OpenPlan } from "../traffic/executors/types.ts";
import { startServer } from "./load.ts";
import { describeDeviation, perSecondDeviation, scheduledPerSecond } from "./support/per-second.ts";

const SECONDS = Number(process.env.BENCH_SHARD_SECONDS ?? 10);
const RATE = Number(process.env.BENCH_SHARD_RATE ?? 3000);
const SHARDS = 3;
/** Seconds between launching the shard processes and their shared start (tsx start-up on a busy machine). */
const LEAD_S = Number(process.env.BENCH_SHARD_LEAD_S ?? 30);
/** Seconds of unmeasured load at RATE that warm the server first. */
const WARM_S = 5;
const ROOT = fileURLToPath(new URL("..", import.meta.url));

function rushhour(args: string[]): Promise<number> {
  const child = spawn(
    process.execPath,
    ["--max-semi-space-size=64", "--import", "tsx", "cli/main.ts", ...args],
    { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] },
  );
  return new Promise((resolve) => child.on("exit", (code) => resolve(code ?? 1)));
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "rushhour-bench-shard-"));
  process.env.FIXTURE_LATENCY_MS = "5";
  const server = await startServer("lean");
  try {
    const scenario = join(dir, "flat.ts");
    writeFileSync(
      scenario,
      `export default ${JSON.stringify({
        name: "flat",
        traffic: { executor: "constant-arrival-rate", rate: RATE, duration: `${SECONDS}s` },
        providers: [{ id: "p1", latency: { p50: "5ms", p99: "10ms" }, capacity: 100 }],
        cluster: { primary: { workers: 100 }, backup: { workers: 10 } },
        drain: "5s",
        window: "1s",
      })};\n`,
    );
    const common = [scenario, "--target", server.address, "--config", "adaptive"];
    // Both runs meet a warm server: unwarmed, the fixture compiled its hot paths during the sharded run
    // (which came first) and answered its first 3 s at a P99 of 0.3-1 s, taking the CPU the shards needed.
    await runPool({
      spec: {
        executor: { executor: "constant-arrival-rate", rate: RATE, duration: `${WARM_S}s` },
        targets: [server.address],
        windowMs: 1000,
        requestTimeoutMs: 10_000,
        mix: { seed: 1, skuCount: 100, zipfExponent: 1, vipShare: 0.05, keyPrefix: `warm-${Date.now()}` },
      },
      engines: 1,
    }).done;
    console.log(
      `${SHARDS} shard processes at ${RATE}/s together, then 1 process at ${RATE}/s, ${SECONDS} s each; load average ${loadavg()[0]?.toFixed(1)}`,
    );
    // Starting tsx in three processes takes a few seconds on a busy 2-core machine.
    const startAt = new Date(Date.now() + LEAD_S * 1000).toISOString();
    const codes = await Promise.all(
      Array.from({ length: SHARDS }, (_, i) =>
        rushhour([
          "load",
          ...common,
          "--segment",
          `${i}/${SHARDS}`,
          "--start-at",
          startAt,
          "--out",
          join(dir, "shards"),
        ]),
      ),
    );
    const whole = rushhour(["load", ...common, "--out", join(dir, "whole")]);
    if ((await whole) !== 0 || codes.some((c) => c !== 0))
      console.log(`exit codes: shards ${codes}, whole ${await whole}`);
    const shards = runResultFiles([join(dir, "shards")]).map((source) => ({
      source,
      result: readRunResultFile(source),
    }));
    const [merged] = mergeShards(shards);
    const unsharded = readRunResultFile(runResultFiles([join(dir, "whole")])[0] as string);
    report(
      merged as RunResult,
      unsharded,
      shards.map((s) => s.result),
    );
  } finally {
    server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(merged: RunResult, whole: RunResult, shards: RunResult[]): void {
  // The reference is the schedule itself (RATE orders in each second of the plan), not the unsharded run:
  // comparing two live runs adds both runs' errors. The unsharded run is judged the same way beside it.
  const plan = planFor({
    executor: "constant-arrival-rate",
    rate: RATE,
    duration: `${SECONDS}s`,
  }) as OpenPlan;
  const schedule = scheduledPerSecond(plan.count, plan.startTimeMs);
  const sentBy = (r: RunResult) => schedule.map((_, s) => r.series[s]?.submitted ?? 0);
  const a = sentBy(merged);
  const b = sentBy(whole);
  // Each second's P99 beside its counts: a slow second says when the shards fell behind (start, end).
  const p99 = (r: RunResult, s: number) => (r.series[s]?.p99 ?? 0).toFixed(1);
  console.log("second  schedule  merged shards sent  unsharded sent  P99 ms merged  P99 ms unsharded");
  for (let s = 0; s < schedule.length; s++)
    console.log(
      `${String(s).padStart(6)}  ${String(schedule[s]).padStart(8)}  ${String(a[s]).padStart(18)}  ${String(b[s]).padStart(14)}  ${p99(merged, s).padStart(13)}  ${p99(whole, s).padStart(16)}`,
    );
  console.log(`merged shards: ${describeDeviation(perSecondDeviation(a, schedule))}`);
  console.log(`unsharded:     ${describeDeviation(perSecondDeviation(b, schedule))}`);
  console.log(
    `total sent: merged ${merged.counters.submitted}, unsharded ${whole.counters.submitted} (schedule ${plan.count}); dropped: merged ${merged.counters.dropped}, unsharded ${whole.counters.dropped} (load average now ${loadavg()[0]?.toFixed(2)})`,
  );
  console.log(
    `shards: ${shards
      .map(
        (r) =>
          `${r.shard?.index}/${r.shard?.count} sent ${r.counters.submitted} (late start ${r.shard?.lateStartMs} ms, ${sendLag(r)})`,
      )
      .join("; ")}`,
  );
  console.log(`P99: merged ${merged.summary.p99.mean} ms, unsharded ${whole.summary.p99.mean} ms`);
}

/** A shard's worst send lag: its RunResult carries it (as an event) only above the driver's 100 ms warning. */
function sendLag(r: RunResult): string {
  const lags = r.events.flatMap((e) =>
    typeof e.data?.maxSendLagMs === "number" ? [e.data.maxSendLagMs] : [],
  );
  return lags.length === 0 ? "max send lag under 100 ms" : `max send lag ${Math.max(...lags).toFixed(0)} ms`;
}
