// Driver accuracy: achieved rate against target at 500, 2,000 and 5,000 orders/s against a minimal
// fast gRPC server in its own process, and the driver's own CPU per 1,000 orders/s
// (process.cpuUsage covers the driver's worker threads too). Run: npm run bench -- load
// Env: BENCH_LOAD_SECONDS (default 5), BENCH_LOAD_ONLY=R.
import { spawn } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { enginesFor, runPool } from "../load/pool.ts";

/**
 * Target rates, each with the engine count the driver picks, then 5,000/s once more in one thread to
 * show what the worker split buys. BENCH_LOAD_ONLY=R compares R/s on 2 workers and on 1 thread only.
 */
const only = Number(process.env.BENCH_LOAD_ONLY ?? 0);
const RUNS: { rate: number; workers?: number }[] =
  only > 0
    ? [
        { rate: only, workers: 2 },
        { rate: only, workers: 0 },
      ]
    : [{ rate: 500 }, { rate: 2000 }, { rate: 5000 }, { rate: 5000, workers: 0 }];
const SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 5);

async function startServer(): Promise<{ address: string; stop(): void }> {
  const entry = fileURLToPath(new URL("../test/load/fixture-main.ts", import.meta.url));
  // `--import tsx` resolves from the working directory: run from the repository root.
  const root = fileURLToPath(new URL("..", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", entry], {
    cwd: root,
    stdio: ["pipe", "pipe", "inherit"],
  });
  const address = await new Promise<string>((resolve, reject) => {
    let buf = "";
    child.stdout.on("data", (d: Buffer) => {
      buf += d.toString();
      const m = /listening on (\S+)/.exec(buf);
      if (m) resolve(m[1] as string);
    });
    child.on("exit", (code) => reject(new Error(`fixture server exited (${code})`)));
  });
  return { address, stop: () => child.kill("SIGTERM") };
}

export async function run(): Promise<void> {
  const server = await startServer();
  try {
    console.log(
      `load driver accuracy (${SECONDS} s per rate, constant-arrival-rate, fixture server in its own process)`,
    );
    // Absolute figures depend on what else runs: say how busy the machine was.
    const load = () =>
      loadavg()
        .map((x) => x.toFixed(1))
        .join(" ");
    console.log(`machine: ${cpus().length} cores, load average ${load()} before`);
    console.log(
      "target/s  engines  achieved/s  deviation  dropped  p50 ms  p99 ms  max send lag ms  driver CPU cores  CPU per 1k/s",
    );
    for (const { rate, workers: forced } of RUNS) {
      const workers = forced ?? enginesFor(rate);
      const pool = runPool({
        spec: {
          executor: { executor: "constant-arrival-rate", rate, duration: SECONDS * 1000 },
          targets: [server.address],
          windowMs: 1000,
          requestTimeoutMs: 10_000,
          mix: { seed: 1, skuCount: 100, zipfExponent: 1, vipShare: 0.05, keyPrefix: `bench-${rate}` },
        },
        workers,
      });
      // CPU and time from the shared start on: worker start-up (loading tsx and grpc-js) is not per order.
      await pool.started;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const result = await pool.done;
      const wall = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const cores = (cpu.user + cpu.system) / 1e6 / wall;
      // Sent within the traffic period (windows are 1 s and count sends by send time): a driver that
      // falls behind sends late and shows here, even though every iteration is sent in the end.
      const inTime = result.windows.slice(0, SECONDS).reduce((n, w) => n + w.counts.started, 0);
      const achieved = inTime / SECONDS;
      const deviation = (achieved - rate) / rate;
      console.log(
        [
          String(rate).padStart(8),
          String(Math.max(1, workers)).padStart(7),
          achieved.toFixed(1).padStart(10),
          `${(deviation * 100).toFixed(2)}%`.padStart(9),
          String(result.counts.dropped).padStart(7),
          result.overall.percentile(50).toFixed(2).padStart(6),
          result.overall.percentile(99).toFixed(2).padStart(6),
          result.maxSendLagMs.toFixed(1).padStart(15),
          cores.toFixed(3).padStart(16),
          (cores / (achieved / 1000)).toFixed(3).padStart(12),
        ].join("  "),
      );
      const failed = result.counts.failed + result.counts.rejected;
      if (Math.abs(deviation) > 0.01 || failed > 0) {
        // Say why: drops (the in-flight cap), a driver behind its schedule (sends late, so fewer inside
        // the traffic period), or errors from the server.
        const why = [
          result.counts.dropped > 0 ? `${result.counts.dropped} dropped at the in-flight cap` : "",
          result.maxSendLagMs > 50
            ? `driver up to ${result.maxSendLagMs.toFixed(0)} ms behind its schedule`
            : "",
          failed > 0
            ? `${failed} failed ${JSON.stringify(result.errorCodes)} ${JSON.stringify(result.errorSamples)}`
            : "",
        ].filter((x) => x !== "");
        console.log(`          ${rate}/s off by ${(deviation * 100).toFixed(1)}%: ${why.join("; ") || "?"}`);
      }
    }
    console.log(`machine load average ${load()} after`);
  } finally {
    server.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
