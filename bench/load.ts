// Driver accuracy: achieved rate against target at 500, 2,000 and 5,000 orders/s against a minimal
// fast gRPC server in its own process, and the driver's own CPU per 1,000 orders/s
// (this process and its engine processes: load/pool.ts driverCpuMs). Beside each run: how busy the driver's
// engine event loops and the server's process were, so a missed rate says which side was CPU-bound.
// Run: npm run bench -- load. Env: BENCH_LOAD_SECONDS (default 5), BENCH_LOAD_ONLY=R.
import { spawn } from "node:child_process";
import { availableParallelism, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { driverCpuMs, enginesFor, runPool } from "../load/pool.ts";

type Fixture = "lean" | "grpc-js";

/**
 * Target rates, each with the engine count the driver picks, against the lean fixture (gRPC over
 * node:http2: the server's CPU per call is about half of grpc-js's, so the driver is what is measured);
 * then 5,000/s split over 2 engine processes, and against the grpc-js fixture, to show what each costs.
 * BENCH_LOAD_ONLY=R compares R/s on 2 engine processes and on 1 only.
 */
const only = Number(process.env.BENCH_LOAD_ONLY ?? 0);
const RUNS: { rate: number; workers?: number; fixture: Fixture }[] =
  only > 0
    ? [
        { rate: only, workers: 2, fixture: "lean" },
        { rate: only, workers: 1, fixture: "lean" },
      ]
    : [
        { rate: 500, fixture: "lean" },
        { rate: 2000, fixture: "lean" },
        { rate: 5000, fixture: "lean" },
        { rate: 5000, workers: 2, fixture: "lean" },
        { rate: 5000, fixture: "grpc-js" },
      ];
const SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 5);
/** An event loop busier than this over a run was CPU-bound (it had no time left to wait for I/O). */
const SATURATED = 0.9;

interface ServerStats {
  cpuUs: number;
  activeMs: number;
  idleMs: number;
}

interface Server {
  fixture: Fixture;
  address: string;
  stats(): Promise<ServerStats>;
  stop(): void;
}

export async function startServer(fixture: Fixture): Promise<Server> {
  const entry = fileURLToPath(new URL("../test/load/fixture-main.ts", import.meta.url));
  // `--import tsx` resolves from the working directory: run from the repository root.
  const root = fileURLToPath(new URL("..", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", entry], {
    cwd: root,
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, FIXTURE_LEAN: fixture === "lean" ? "1" : "0" },
  });
  let buf = "";
  let waiting: ((s: ServerStats) => void) | null = null;
  let onListening: ((address: string) => void) | null = null;
  child.stdout.on("data", (d: Buffer) => {
    buf += d.toString();
    for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const listening = /listening on (\S+)/.exec(line);
      if (listening) onListening?.(listening[1] as string);
      const stats = /^stats (\S+) (\S+) (\S+)/.exec(line);
      if (stats && waiting) {
        const w = waiting;
        waiting = null;
        w({ cpuUs: Number(stats[1]), activeMs: Number(stats[2]), idleMs: Number(stats[3]) });
      }
    }
  });
  const address = await new Promise<string>((resolve, reject) => {
    onListening = resolve;
    child.on("exit", (code) => reject(new Error(`fixture server exited (${code})`)));
  });
  return {
    fixture,
    address,
    stats: () =>
      new Promise<ServerStats>((resolve) => {
        waiting = resolve;
        child.stdin.write("stats\n");
      }),
    stop: () => child.kill("SIGTERM"),
  };
}

const pct = (x: number) => `${(x * 100).toFixed(0)}%`;

export async function run(): Promise<void> {
  const servers = new Map<Fixture, Server>();
  try {
    for (const f of new Set(RUNS.map((r) => r.fixture))) servers.set(f, await startServer(f));
    const machineCores = availableParallelism();
    console.log(
      `load driver accuracy (${SECONDS} s per rate, constant-arrival-rate, fixture server in its own process)`,
    );
    // Absolute figures depend on what else runs: say how busy the machine was.
    const load = () =>
      loadavg()
        .map((x) => x.toFixed(1))
        .join(" ");
    console.log(`machine: ${machineCores} cores, load average ${load()} before`);
    console.log(
      "target/s  engines  server   achieved/s  deviation  dropped  p50 ms  p99 ms  max send lag ms" +
        "  driver CPU cores  CPU per 1k/s  driver loop busy  server CPU cores  server loop busy",
    );
    for (const { rate, workers: forced, fixture } of RUNS) {
      const server = servers.get(fixture) as Server;
      const workers = forced ?? enginesFor(rate);
      const pool = runPool({
        spec: {
          executor: { executor: "constant-arrival-rate", rate, duration: SECONDS * 1000 },
          targets: [server.address],
          windowMs: 1000,
          requestTimeoutMs: 10_000,
          mix: {
            seed: 1,
            skuCount: 100,
            zipfExponent: 1,
            vipShare: 0.05,
            keyPrefix: `bench-${rate}-${workers}-${fixture}`,
          },
        },
        engines: workers,
      });
      // CPU and time from the shared start on: engine start-up (loading tsx) is not per order. The
      // driver's CPU is this process's and its engine processes'.
      await pool.started;
      const s0 = await server.stats();
      const cpu0 = driverCpuMs();
      const t0 = performance.now();
      const result = await pool.done;
      const wall = (performance.now() - t0) / 1000;
      const cpuMs = driverCpuMs() - cpu0;
      const s1 = await server.stats();
      const cores = cpuMs / 1000 / wall;
      const serverCores = (s1.cpuUs - s0.cpuUs) / 1e6 / wall;
      const active = s1.activeMs - s0.activeMs;
      const serverBusy = active / Math.max(1e-9, active + (s1.idleMs - s0.idleMs));
      const driverBusy = Math.max(0, ...result.loopUtilization);
      // Sent within the traffic period (windows are 1 s and count sends by send time): a driver that
      // falls behind sends late and shows here, even though every iteration is sent in the end.
      const inTime = result.windows.slice(0, SECONDS).reduce((n, w) => n + w.counts.started, 0);
      const achieved = inTime / SECONDS;
      const deviation = (achieved - rate) / rate;
      console.log(
        [
          String(rate).padStart(8),
          String(workers).padStart(7),
          fixture.padEnd(7),
          achieved.toFixed(1).padStart(10),
          `${(deviation * 100).toFixed(2)}%`.padStart(9),
          String(result.counts.dropped).padStart(7),
          result.overall.percentile(50).toFixed(2).padStart(6),
          result.overall.percentile(99).toFixed(2).padStart(6),
          result.maxSendLagMs.toFixed(1).padStart(15),
          cores.toFixed(3).padStart(16),
          (cores / (achieved / 1000)).toFixed(3).padStart(12),
          result.loopUtilization.map(pct).join("+").padStart(16),
          serverCores.toFixed(3).padStart(16),
          pct(serverBusy).padStart(16),
        ].join("  "),
      );
      const failed = result.counts.failed + result.counts.rejected;
      if (Math.abs(deviation) > 0.01 || failed > 0) {
        // Say why, from what was measured: drops (the in-flight cap), a driver behind its schedule,
        // errors from the server, and which process had its event loop saturated.
        const why = [
          result.counts.dropped > 0 ? `${result.counts.dropped} dropped at the in-flight cap` : "",
          result.maxSendLagMs > 50
            ? `driver up to ${result.maxSendLagMs.toFixed(0)} ms behind its schedule`
            : "",
          driverBusy >= SATURATED ? `driver engine loop ${pct(driverBusy)} busy (CPU-bound)` : "",
          serverBusy >= SATURATED ? `server loop ${pct(serverBusy)} busy (CPU-bound)` : "",
          cores + serverCores >= machineCores * SATURATED
            ? `driver and server used ${(cores + serverCores).toFixed(2)} of ${machineCores} cores`
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
    for (const s of servers.values()) s.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
