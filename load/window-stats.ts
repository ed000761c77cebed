// What one engine (one process) reports per time window and at the end, and how the host
// merges reports from several engines. Histograms travel encoded (HdrHistogram V2, compressed
// base64) and are merged by decode + add, so percentiles over all engines are exact to 3 digits.
import { LatencyHistogram } from "../results/histogram.ts";

export interface Counts {
  /** Iterations started (a request was sent). */
  started: number;
  /** Iterations due while maxVUs were in flight: never sent. */
  dropped: number;
  /**
   * Iterations sent (or dropped) after the window they were due in had closed: each is in a later window's
   * `started` than the schedule's. Still sent (open model), timed from their intended start.
   */
  late: number;
  delivered: number;
  /** Answered with a FAILED order, or a gRPC error other than shedding (a client timeout included). */
  failed: number;
  /** Answered REJECTED, or RESOURCE_EXHAUSTED. */
  rejected: number;
  /** Subset of failed: the client's deadline passed (DEADLINE_EXCEEDED). */
  clientTimeouts: number;
  /** Answered DENIED: the risk service said no (a business outcome, not an error). */
  denied: number;
  /** Answered REVIEW: held for a person to decide (a manual intervention). */
  review: number;
  /** Answered before the order was terminal (server returned near the deadline). */
  unfinished: number;
  /** Still running at the end of gracefulStop (or on abort) and cancelled. */
  interrupted: number;
}

export function zeroCounts(): Counts {
  return {
    started: 0,
    dropped: 0,
    late: 0,
    delivered: 0,
    failed: 0,
    rejected: 0,
    clientTimeouts: 0,
    denied: 0,
    review: 0,
    unfinished: 0,
    interrupted: 0,
  };
}

export function addCounts(into: Counts, from: Counts): Counts {
  for (const k of Object.keys(into) as (keyof Counts)[]) into[k] += from[k];
  return into;
}

/**
 * One window of one engine. Starts and drops count in the window in which they were sent (the driver's
 * real timing: a late send is in a later window than the schedule's, and also counted `late`);
 * completions (and their latency) in the window in which they completed, as a server-side observer
 * would see throughput.
 */
export interface WindowReport {
  index: number;
  counts: Counts;
  /** Latency of orders delivered in this window, encoded. */
  latency: string;
  /** Driver health: the latest any iteration was sent after its intended time, ms. */
  maxSendLagMs: number;
  /** Requests in flight at the end of the window. */
  inFlight: number;
}

export interface FinalReport {
  counts: Counts;
  /** Whole-run latency of delivered orders, and per lane / per cohort (vip, standard). */
  overall: string;
  byLane: Record<string, string>;
  byCohort: Record<string, string>;
  /** Delivered orders by stage (results/stages.ts), from the server's timings; empty without them. */
  byStage: Record<string, string>;
  maxSendLagMs: number;
  /** Windows reported. */
  windows: number;
  /** gRPC errors by status name (e.g. UNAVAILABLE), and one message of each. */
  errorCodes: Record<string, number>;
  errorSamples: Record<string, string>;
  /**
   * Share of the run this engine's event loop was busy (0..1, performance.eventLoopUtilization): near 1,
   * the engine's thread was CPU-bound and could not keep its schedule.
   */
  loopUtilization?: number;
  /** load --trace: this engine's slowest delivered orders (latency ms, iteration), slowest first. */
  slowest?: { ms: number; iteration: number }[];
}

/** Merges the same window from several engines. */
export function mergeWindows(
  reports: readonly WindowReport[],
): WindowReport & { histogram: LatencyHistogram } {
  const counts = zeroCounts();
  const histogram = LatencyHistogram.create();
  let maxSendLagMs = 0;
  let inFlight = 0;
  for (const r of reports) {
    addCounts(counts, r.counts);
    histogram.merge(LatencyHistogram.decode(r.latency));
    maxSendLagMs = Math.max(maxSendLagMs, r.maxSendLagMs);
    inFlight += r.inFlight;
  }
  return {
    index: reports[0]?.index ?? 0,
    counts,
    latency: histogram.encode(),
    histogram,
    maxSendLagMs,
    inFlight,
  };
}

function mergeRecord(records: readonly Record<string, string>[]): Record<string, LatencyHistogram> {
  const out: Record<string, LatencyHistogram> = {};
  for (const rec of records) {
    for (const [k, v] of Object.entries(rec)) {
      const h = out[k] ?? LatencyHistogram.create();
      out[k] = h.merge(LatencyHistogram.decode(v));
    }
  }
  return out;
}

export interface MergedFinal {
  counts: Counts;
  overall: LatencyHistogram;
  byLane: Record<string, LatencyHistogram>;
  byCohort: Record<string, LatencyHistogram>;
  byStage: Record<string, LatencyHistogram>;
  maxSendLagMs: number;
  errorCodes: Record<string, number>;
  errorSamples: Record<string, string>;
  /** Each engine's event-loop utilisation over its run (see FinalReport). */
  loopUtilization: number[];
  /** load --trace: the run's slowest delivered orders over every engine, slowest first (at most 10). */
  slowest: { ms: number; iteration: number }[];
}

export function mergeFinals(reports: readonly FinalReport[]): MergedFinal {
  const counts = zeroCounts();
  const overall = LatencyHistogram.create();
  for (const r of reports) {
    addCounts(counts, r.counts);
    overall.merge(LatencyHistogram.decode(r.overall));
  }
  return {
    counts,
    overall,
    byLane: mergeRecord(reports.map((r) => r.byLane)),
    byCohort: mergeRecord(reports.map((r) => r.byCohort)),
    byStage: mergeRecord(reports.map((r) => r.byStage)),
    maxSendLagMs: Math.max(0, ...reports.map((r) => r.maxSendLagMs)),
    errorCodes: reports.reduce<Record<string, number>>((acc, r) => {
      for (const [k, v] of Object.entries(r.errorCodes)) acc[k] = (acc[k] ?? 0) + v;
      return acc;
    }, {}),
    errorSamples: Object.assign({}, ...reports.map((r) => r.errorSamples)),
    loopUtilization: reports.map((r) => r.loopUtilization ?? 0),
    slowest: reports
      .flatMap((r) => r.slowest ?? [])
      .sort((a, b) => b.ms - a.ms || a.iteration - b.iteration)
      .slice(0, 10),
  };
}
