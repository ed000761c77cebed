// The RunResult pieces that simulated and live runs share, written once: the versions block, the fault notes
// of a scenario's fault schedule, the summary across replications, and the fixed field order of a RunResult
// (so two runs with the same seed serialise byte-identically once provenance is removed).
import { readFileSync } from "node:fs";
import { LatencyHistogram } from "./histogram.ts";
import { meanCi } from "./intervals.ts";
import type {
  Ci,
  PointSummary,
  RunCounters,
  RunEvent,
  RunResult,
  RunSummary,
  RunWindow,
} from "./run-result.ts";
import { RUN_RESULT_SCHEMA_VERSION } from "./run-result.ts";

/** rushhour's version (package.json) and Node's, as every RunResult records them. */
export function runVersions(): RunResult["versions"] {
  let rushhour = "unknown";
  try {
    rushhour = (
      JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
    ).version;
  } catch {
    // A copy without package.json still runs; the result says the version is unknown.
  }
  return { rushhour, node: process.version };
}

/** A fault as the results need it (the scenario schema's fault, in ms). */
export interface FaultNote {
  provider: string;
  kind: string;
  at: number;
  duration: number;
  probability: number;
  latencyMs?: number | undefined;
}

/** The "fault" event of one scheduled fault; `scale` stretches its time (live runs with --duration-scale). */
export function faultEvent(f: FaultNote, scale = 1): RunEvent {
  const at = f.at * scale;
  const dur = f.duration * scale;
  // +toFixed(3): whole ms print as before (30000 -> "30s"); a scaled duration does not print a float's tail.
  return {
    t: at / 1000,
    kind: "fault",
    message: `fault on ${f.provider}: ${f.kind}${f.kind === "latency" ? ` +${f.latencyMs}ms` : ""}${
      f.probability < 1 ? ` (${Math.round(f.probability * 100)}% of calls)` : ""
    } for ${+(dur / 1000).toFixed(3)}s`,
    providerId: f.provider,
    to: f.kind,
    endT: (at + dur) / 1000,
    data: { probability: f.probability, ...(f.latencyMs !== undefined ? { latencyMs: f.latencyMs } : {}) },
  };
}

/** Mean and 95% CI, clipped to the metric's range (every summary metric is >= 0; shares are <= 1). */
export function ci(values: number[], max = Number.POSITIVE_INFINITY): Ci {
  const c = meanCi(values);
  const r = (x: number) => Math.round(Math.min(max, Math.max(0, x)) * 1e4) / 1e4;
  return { mean: r(c.mean), lo: r(c.lo), hi: r(c.hi), n: c.n };
}

/** The summary across replications' point values (one point: lo = hi = mean). */
export function summarize(s: readonly PointSummary[]): RunSummary {
  const clusters = [...new Set(s.flatMap((x) => Object.keys(x.cpuPeak)))].sort();
  return {
    throughputPeak: ci(s.map((x) => x.throughputPeak)),
    throughputMean: ci(s.map((x) => x.throughputMean)),
    p50: ci(s.map((x) => x.p50)),
    p95: ci(s.map((x) => x.p95)),
    p99: ci(s.map((x) => x.p99)),
    p999: ci(s.map((x) => x.p999)),
    max: ci(s.map((x) => x.max)),
    cpuPeak: Object.fromEntries(
      clusters.map((c) => [
        c,
        ci(
          s.map((x) => x.cpuPeak[c] ?? 0),
          1,
        ),
      ]),
    ),
    errorRate: ci(
      s.map((x) => x.errorRate),
      1,
    ),
    retries: ci(s.map((x) => x.retries)),
    ...optionalCi(s, "goodputPeak"),
    ...optionalCi(s, "goodputMean"),
    ...optionalCi(s, "interventionsPerDay"),
    ...optionalCi(s, "complaintRiskPerDay"),
  };
}

type OptionalPoint = "goodputPeak" | "goodputMean" | "interventionsPerDay" | "complaintRiskPerDay";

/** The CI of a business-row point value, when every replication has it (older files have none). */
function optionalCi(s: readonly PointSummary[], key: OptionalPoint): Partial<Record<OptionalPoint, Ci>> {
  const values = s.map((x) => x[key]);
  if (values.length === 0 || values.some((v) => v === undefined)) return {};
  return { [key]: ci(values as number[]) };
}

/**
 * The point values of one live run (or of merged load shards): percentiles from the whole-run histogram,
 * peaks from the series, the error rate from the counters.
 */
export function livePoint(
  overall: LatencyHistogram,
  c: RunCounters,
  series: readonly RunWindow[],
  durationS: number,
): PointSummary {
  const tp = series.map((w) => w.throughput);
  const cpuPeak: Record<string, number> = {};
  for (const w of series)
    for (const [k, v] of Object.entries(w.cpu)) cpuPeak[k] = Math.max(cpuPeak[k] ?? 0, v);
  const h = overall;
  return {
    throughputPeak: tp.length ? Math.max(...tp) : 0,
    throughputMean: durationS > 0 ? c.delivered / durationS : 0,
    p50: h.percentile(50),
    p95: h.percentile(95),
    p99: h.percentile(99),
    p999: h.percentile(99.9),
    max: h.max,
    cpuPeak,
    errorRate: c.submitted === 0 ? 0 : (c.failed + c.rejected + (c.unfinished ?? 0)) / c.submitted,
    retries: c.retried,
  };
}

/** Counters added field by field (replications of a simulation, shards of a run). */
export function sumCounters(list: readonly RunCounters[]): RunCounters {
  const out: RunCounters = {
    submitted: 0,
    delivered: 0,
    failed: 0,
    rejected: 0,
    retried: 0,
    dropped: 0,
    duplicateCards: 0,
    cacheHits: 0,
    routeSwitches: 0,
    timeouts: 0,
    unfinished: 0,
  };
  // Every key any of them has: the risk stage's and the business rows' counters are optional, present only
  // in runs that have them (others stay byte-identical).
  for (const c of list) {
    for (const key of Object.keys(c) as (keyof RunCounters)[]) out[key] = (out[key] ?? 0) + (c[key] ?? 0);
  }
  return out;
}

/**
 * Histograms per key (lanes, cohorts) added in the given order; `encoded` has the keys sorted, as every
 * RunResult writes them.
 */
export function mergeHistogramMaps(maps: Iterable<ReadonlyMap<string, LatencyHistogram>>): {
  encoded: Record<string, string>;
  merged: Map<string, LatencyHistogram>;
} {
  const merged = new Map<string, LatencyHistogram>();
  for (const map of maps) {
    for (const [key, h] of map) {
      let m = merged.get(key);
      if (m === undefined) {
        m = LatencyHistogram.create();
        merged.set(key, m);
      }
      m.merge(h);
    }
  }
  const encoded: Record<string, string> = {};
  for (const key of [...merged.keys()].sort()) encoded[key] = merged.get(key)!.encode();
  return { encoded, merged };
}

/** Everything of a RunResult but the two fields this module fills (schema version, versions). */
export type RunResultFields = Omit<RunResult, "schemaVersion" | "versions">;

/** A RunResult with its fields in the one order every writer uses. */
export function runResult(f: RunResultFields): RunResult {
  return {
    schemaVersion: RUN_RESULT_SCHEMA_VERSION,
    kind: f.kind,
    scenario: f.scenario,
    config: f.config,
    seeds: f.seeds,
    replications: f.replications,
    windowSeconds: f.windowSeconds,
    durationSeconds: f.durationSeconds,
    seriesReplication: f.seriesReplication,
    versions: runVersions(),
    command: f.command,
    provenance: f.provenance,
    series: f.series,
    histograms: f.histograms,
    counters: f.counters,
    summary: f.summary,
    perReplication: f.perReplication,
    events: f.events,
    thresholds: f.thresholds,
    ...(f.topology !== undefined ? { topology: f.topology } : {}),
    ...(f.chaos !== undefined ? { chaos: f.chaos } : {}),
    ...(f.audit !== undefined ? { audit: f.audit } : {}),
    ...(f.business !== undefined ? { business: f.business } : {}),
    ...(f.slowestOrders !== undefined ? { slowestOrders: f.slowestOrders } : {}),
    ...(f.artifacts !== undefined ? { artifacts: f.artifacts } : {}),
    ...(f.calibration !== undefined ? { calibration: f.calibration } : {}),
    ...(f.shard !== undefined ? { shard: f.shard } : {}),
  };
}
