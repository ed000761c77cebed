// Runs a load plan on one or more engines, each in its own child process (load/engine-process.ts) with
// its own gRPC channels. Window reports from every engine are merged per window (histograms decoded and
// added) before anyone looks at them.
//
// Why processes, not threads or the host's own loop: the driver's timing is set by its garbage
// collector. Node's HTTP/2 client keeps every call's stream objects alive past at least one scavenge
// (measured: about 3 KB of each call is promoted whatever the young generation's size), so a scavenge
// pause grows with the young generation: 50-60 ms at the 64 MB semi-spaces the rest of the package runs
// with (server/node-flags.ts), 7 ms or less at 1 MB. A pause at a second's boundary moves its sends into
// the next second (1% of that second's orders per 10 ms). V8 flags are per process (a worker thread's
// resourceLimits lose to the process's --max-semi-space-size), so the engines get a process whose flags
// suit a driver, whatever hosts them: the CLI, a bench or a test. Measured with bench/replay.ts (live
// part): max send lag 59-72 ms and a 3.75% worst second in the host process, 17-20 ms and 0.24-0.78% in
// an engine process.
import { type ChildProcess, fork } from "node:child_process";
import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import { type ExecutionSegment, engineShare, WHOLE } from "../traffic/segment.ts";
import type { EngineSpec } from "./engine.ts";
import type { FromEngine, ToEngine } from "./engine-process.ts";
import { ownCpuMs, processCpuMs } from "./process-cpu.ts";
import {
  type FinalReport,
  type MergedFinal,
  mergeFinals,
  mergeWindows,
  type WindowReport,
} from "./window-stats.ts";

/**
 * V8 flags of an engine process: 1 MB semi-spaces (why: the header above), and garbage collection on the
 * engine's own thread: a 1 MB young generation is collected some 20 times a second, and parallel
 * collection woke helper threads on the cores the server and the other engines were using (bench/shard:
 * 3 shards' worst second within 1% in 7 of 9 runs with helpers, 4 of 4 without).
 */
export const ENGINE_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=1", "--single-threaded-gc"];
const ENTRY = new URL("./engine-process-entry.mjs", import.meta.url);

/** Engine processes running now (pids), and the CPU time of those that finished. */
const liveEngines = new Set<number>();
let finishedEnginesCpuMs = 0;

/**
 * CPU ms the engine processes of this process's load runs have used so far (running ones read from
 * /proc; finished ones from their final report), so the driver's CPU (rushhour calibrate) counts them.
 */
export function enginesCpuMs(): number {
  let ms = finishedEnginesCpuMs;
  for (const pid of liveEngines) ms += processCpuMs(pid) ?? 0;
  return ms;
}

/** CPU ms the driver has used so far: this process and its engine processes. */
export function driverCpuMs(): number {
  return ownCpuMs() + enginesCpuMs();
}

/**
 * Orders/s one engine (one event loop) is given. The lean unary client (load/unary-channel.ts) costs
 * roughly 0.1 ms of CPU per call on a slow 2-core machine (bench/load.ts prints the driver's CPU per
 * 1,000 orders/s), so one engine keeps a few thousand per second; above that the run is split over
 * engine processes, as many as there are cores to spare.
 */
export const RATE_PER_ENGINE = 2500;

/**
 * Engine processes to use for a peak rate, at least one. Never more than cores - 1: on a 2-core machine
 * two engines only contend with each other, the host and a local server, and (measured with
 * bench/load.ts) keep 5,000/s worse than one.
 */
export function enginesFor(peakRatePerSec: number, cores = availableParallelism()): number {
  const wanted = Math.ceil(peakRatePerSec / RATE_PER_ENGINE);
  return Math.max(1, Math.min(wanted, cores - 1));
}

export type MergedWindow = ReturnType<typeof mergeWindows>;

export interface PoolOptions {
  spec: Omit<EngineSpec, "share">;
  /** Engine processes (at least 1). */
  engines: number;
  /** Time between "every engine is connected" and the first iteration. Default 100 ms. */
  leadMs?: number;
  /**
   * Start at this instant (epoch ms) instead of `leadMs` after connecting: shards of one run (load --start-at)
   * share it. An engine connected after it starts at once and sends what is overdue, timed from its intended start.
   */
  startAtEpochMs?: number;
  /** This process's execution segment of the run (traffic/segment.ts); default the whole run. */
  segment?: ExecutionSegment;
  onWindow?: (window: MergedWindow) => void;
}

export interface PoolRun {
  /**
   * The start instant shared by every engine (performance.timeOrigin + performance.now()), set once all
   * of them have connected, so a slow worker start-up never eats into the schedule.
   */
  started: Promise<number>;
  done: Promise<MergedFinal & { windows: MergedWindow[] }>;
  abort(): void;
}

/** Orders window reports from several sources and emits each window once all sources sent it. */
class WindowMerger {
  private readonly pending: WindowReport[][] = [];
  private readonly sent: number[];
  private readonly finished: (number | null)[];
  readonly merged: MergedWindow[] = [];

  constructor(
    sources: number,
    private readonly onWindow: (w: MergedWindow) => void,
  ) {
    this.sent = new Array(sources).fill(0);
    this.finished = new Array(sources).fill(null);
  }

  add(source: number, report: WindowReport): void {
    const list = this.pending[report.index] ?? [];
    this.pending[report.index] = list;
    list.push(report);
    this.sent[source] = report.index + 1;
    this.emit();
  }

  finish(source: number, windows: number): void {
    this.finished[source] = windows;
    this.emit();
  }

  private emit(): void {
    for (;;) {
      const w = this.merged.length;
      const ready = this.sent.every(
        (s, i) => s > w || (this.finished[i] !== null && (this.finished[i] as number) <= w),
      );
      const anyLeft = this.finished.some(
        (f, i) => f === null || (f as number) > w || (this.sent[i] as number) > w,
      );
      if (!ready || !anyLeft) return;
      const reports = this.pending[w] ?? [];
      delete this.pending[w];
      const merged = mergeWindows(reports);
      merged.index = w;
      this.merged.push(merged);
      this.onWindow(merged);
    }
  }
}

function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

export function runPool(options: PoolOptions): PoolRun {
  const n = Math.max(1, options.engines);
  const lead = options.leadMs ?? 100;
  const merger = new WindowMerger(n, options.onWindow ?? (() => {}));
  const segment = options.segment ?? WHOLE;
  const specFor = (k: number): EngineSpec => ({ ...options.spec, share: engineShare(segment, k, n) });
  const startAt = () => options.startAtEpochMs ?? epochNow() + lead;
  let aborted = false;

  const engines: ChildProcess[] = [];
  const finals: Promise<FinalReport>[] = [];
  const ready: Promise<void>[] = [];
  const tell = (child: ChildProcess, m: ToEngine) => {
    if (child.connected) child.send(m);
  };
  for (let k = 0; k < n; k++) {
    const child = fork(ENTRY, [], {
      execArgv: [...ENGINE_NODE_FLAGS],
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    engines.push(child);
    const pid = child.pid;
    if (pid !== undefined) liveEngines.add(pid);
    let onReady: () => void = () => {};
    let onFail: (err: Error) => void = () => {};
    ready.push(
      new Promise<void>((resolve, reject) => {
        onReady = resolve;
        onFail = reject;
      }),
    );
    finals.push(
      new Promise<FinalReport>((resolve, reject) => {
        let final = false;
        const fail = (err: Error) => {
          onFail(err);
          reject(err);
        };
        child.on("message", (m: FromEngine) => {
          if (m.type === "ready") onReady();
          else if (m.type === "window") merger.add(k, m.report);
          else if (m.type === "final") {
            final = true;
            if (pid !== undefined) liveEngines.delete(pid);
            finishedEnginesCpuMs += m.cpuMs;
            merger.finish(k, m.report.windows);
            resolve(m.report);
          } else fail(new Error(`load engine ${k} failed: ${m.message}`));
        });
        child.on("error", fail);
        child.on("exit", (code, signal) => {
          if (pid !== undefined) liveEngines.delete(pid);
          if (!final) fail(new Error(`load engine ${k} exited (${signal ?? code}) before its report`));
        });
      }),
    );
    tell(child, { type: "spec", spec: specFor(k) });
  }
  const started = Promise.all(ready).then(() => {
    const at = startAt();
    for (const c of engines) tell(c, { type: "start", startAtEpochMs: at });
    if (aborted) for (const c of engines) tell(c, { type: "abort" });
    return at;
  });
  const done = Promise.all(finals).then(
    (reports) => ({ ...mergeFinals(reports), windows: merger.merged }),
    (err: unknown) => {
      for (const c of engines) c.kill("SIGKILL");
      throw err;
    },
  );
  // A failure before the start is reported through `done`; keep `started` from being an unhandled rejection.
  started.catch(() => {});
  return {
    started,
    done,
    abort: () => {
      aborted = true;
      for (const c of engines) tell(c, { type: "abort" });
    },
  };
}
