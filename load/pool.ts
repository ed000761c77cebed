// Runs a load plan on one or more engines: in this thread for modest rates, or in worker threads
// (each with its own gRPC channels) when one event loop cannot keep up. Window reports from every
// engine are merged per window (histograms decoded and added) before anyone looks at them.
import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import { type ExecutionSegment, engineShare, WHOLE } from "../traffic/segment.ts";
import { type EngineSpec, LoadEngine } from "./engine.ts";
import {
  type FinalReport,
  type MergedFinal,
  mergeFinals,
  mergeWindows,
  type WindowReport,
} from "./window-stats.ts";
import type { FromWorker, ToWorker } from "./worker.ts";

/**
 * Orders/s one engine (one event loop) is given. The lean unary client (load/unary-channel.ts) costs
 * roughly 0.1 ms of CPU per call on a slow 2-core machine (bench/load.ts prints the driver's CPU per
 * 1,000 orders/s), so one thread keeps a few thousand per second; above that the run is split over
 * worker threads, as many as there are cores to spare.
 */
export const RATE_PER_ENGINE = 2500;

/**
 * Engines to use for a peak rate: 0 means in this thread; n > 0 means n worker threads. Never more
 * threads than cores - 1: on a 2-core machine two engine threads only contend with each other, the
 * main thread and a local server, and (measured with bench/load.ts) keep 5,000/s worse than one.
 */
export function enginesFor(peakRatePerSec: number, cores = availableParallelism()): number {
  const wanted = Math.ceil(peakRatePerSec / RATE_PER_ENGINE);
  const n = Math.min(wanted, Math.max(1, cores - 1));
  return n <= 1 ? 0 : n;
}

export type MergedWindow = ReturnType<typeof mergeWindows>;

export interface PoolOptions {
  spec: Omit<EngineSpec, "share">;
  /** 0: one engine in this thread; n: n worker threads. */
  workers: number;
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
  const n = Math.max(1, options.workers);
  const lead = options.leadMs ?? 100;
  const merger = new WindowMerger(n, options.onWindow ?? (() => {}));
  const segment = options.segment ?? WHOLE;
  const specFor = (k: number): EngineSpec => ({ ...options.spec, share: engineShare(segment, k, n) });
  const startAt = () => options.startAtEpochMs ?? epochNow() + lead;
  let aborted = false;

  if (options.workers === 0) {
    const engine = new LoadEngine(specFor(0), { window: (r) => merger.add(0, r) });
    const started = engine.connect().then(startAt);
    const done = started
      .then((at) => {
        const run = engine.start(at);
        if (aborted) engine.abort();
        return run;
      })
      .then((final) => {
        merger.finish(0, final.windows);
        return { ...mergeFinals([final]), windows: merger.merged };
      });
    return {
      started,
      done,
      abort: () => {
        aborted = true;
        engine.abort();
      },
    };
  }

  const workers: Worker[] = [];
  const finals: Promise<FinalReport>[] = [];
  const ready: Promise<void>[] = [];
  for (let k = 0; k < n; k++) {
    const worker = new Worker(new URL("./worker-entry.mjs", import.meta.url), { workerData: specFor(k) });
    workers.push(worker);
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
        const fail = (err: Error) => {
          onFail(err);
          reject(err);
        };
        worker.on("message", (m: FromWorker) => {
          if (m.type === "ready") onReady();
          else if (m.type === "window") merger.add(k, m.report);
          else if (m.type === "final") {
            merger.finish(k, m.report.windows);
            resolve(m.report);
            void worker.terminate();
          } else fail(new Error(`load worker ${k} failed: ${m.message}`));
        });
        worker.on("error", fail);
        worker.on("exit", (code) => fail(new Error(`load worker ${k} exited (${code}) before its report`)));
      }),
    );
  }
  const started = Promise.all(ready).then(() => {
    const at = startAt();
    for (const w of workers) w.postMessage({ type: "start", startAtEpochMs: at } satisfies ToWorker);
    if (aborted) for (const w of workers) w.postMessage({ type: "abort" } satisfies ToWorker);
    return at;
  });
  const done = Promise.all(finals).then(
    (reports) => ({ ...mergeFinals(reports), windows: merger.merged }),
    async (err: unknown) => {
      await Promise.all(workers.map((w) => w.terminate()));
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
      for (const w of workers) w.postMessage({ type: "abort" } satisfies ToWorker);
    },
  };
}
