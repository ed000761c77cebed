// Runs a scenario in simulation: each configuration (baseline, candidate) x R replications, with
// replication r using the same seed for every configuration (common random numbers), and assembles
// one RunResult per configuration: the first replication's series and events, histograms and counters
// merged over replications, summary CIs across replications, thresholds judged on the merged data.
import { readFileSync } from "node:fs";
import { LatencyHistogram } from "../reports/histogram.ts";
import {
  type Ci,
  RUN_RESULT_SCHEMA_VERSION,
  type RunCounters,
  type RunEvent,
  type RunResult,
  type RunSummary,
  type ThresholdResult,
} from "../reports/run-result.ts";
import type { Scenario } from "../scenarios/define.ts";
import { type Aggregation, judgeThresholds } from "../scenarios/thresholds.ts";
import { totalDuration } from "../scenarios/traffic.ts";
import type { DispatchConfig } from "../server/core/config.ts";
import { hashString } from "../server/core/random.ts";
import { type ReplicationOutput, runReplication } from "./replication.ts";
import { meanCi } from "./stats.ts";

export interface SimArm {
  /** Preset name or config path as given. */
  name: string;
  role: "baseline" | "candidate" | "single";
  config: DispatchConfig;
}

export interface SimulateOptions {
  arms: SimArm[];
  replications: number;
  /** Base seed (default: the scenario's). */
  seed?: number;
  /** The exact command line, recorded in the result. */
  command?: string[];
  /** Progress: simulated ms done over all arms and replications, and the total. */
  onProgress?: (doneMs: number, totalMs: number, label: string) => void;
}

/** The seed of replication r: the base seed itself for r = 0, then a hash (same for every configuration). */
export function replicationSeed(base: number, r: number): number {
  return r === 0 ? base : hashString(`replication:${r}`, base >>> 0) | 0;
}

function rushhourVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    return pkg.version;
  } catch {
    return "unknown";
  }
}

export function armInputs(scenario: Scenario, role: SimArm["role"]) {
  const override = role === "single" ? undefined : scenario.compare.overrides[role];
  return { traffic: override?.traffic ?? scenario.traffic, cluster: override?.cluster ?? scenario.cluster };
}

export function simulate(scenario: Scenario, options: SimulateOptions): RunResult[] {
  const base = options.seed ?? scenario.seed;
  const R = options.replications;
  const seeds = Array.from({ length: R }, (_, r) => replicationSeed(base, r));
  const spans = options.arms.map((arm) => {
    const { traffic } = armInputs(scenario, arm.role);
    return totalDuration(traffic) + scenario.drain;
  });
  const totalMs = spans.reduce((a, b) => a + b, 0) * R;
  let doneBefore = 0;
  const results: RunResult[] = [];
  options.arms.forEach((arm, armIndex) => {
    const started = new Date();
    const t0 = performance.now();
    const { traffic, cluster } = armInputs(scenario, arm.role);
    const outputs: ReplicationOutput[] = [];
    for (let r = 0; r < R; r++) {
      const label = `${arm.name} ${r + 1}/${R}`;
      outputs.push(
        runReplication({
          scenario,
          traffic,
          cluster,
          config: arm.config,
          seed: seeds[r]!,
          detailed: r === 0,
          onProgress: options.onProgress
            ? (done) => options.onProgress!(doneBefore + done, totalMs, label)
            : undefined,
        }),
      );
      doneBefore += spans[armIndex]!;
    }
    const finished = new Date();
    results.push(
      assemble(scenario, arm, seeds, base, outputs, options.command ?? [], {
        startedAt: started.toISOString(),
        finishedAt: finished.toISOString(),
        wallSeconds: Math.round(performance.now() - t0) / 1000,
      }),
    );
  });
  return results;
}

function sumCounters(list: RunCounters[]): RunCounters {
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
  for (const c of list) {
    for (const key of Object.keys(out) as (keyof RunCounters)[]) out[key] = (out[key] ?? 0) + (c[key] ?? 0);
  }
  return out;
}

function mergeMaps(
  outputs: ReplicationOutput[],
  pick: (o: ReplicationOutput) => Map<string, LatencyHistogram>,
) {
  const merged = new Map<string, LatencyHistogram>();
  for (const o of outputs) {
    for (const [key, h] of pick(o)) {
      let m = merged.get(key);
      if (m === undefined) {
        m = LatencyHistogram.create();
        merged.set(key, m);
      }
      m.merge(h);
    }
  }
  const out: Record<string, string> = {};
  for (const key of [...merged.keys()].sort()) out[key] = merged.get(key)!.encode();
  return { encoded: out, merged };
}

/** Mean and 95% CI, clipped to the metric's range (every summary metric is >= 0; shares are <= 1). */
function ci(values: number[], max = Number.POSITIVE_INFINITY): Ci {
  const c = meanCi(values);
  const r = (x: number) => Math.round(Math.min(max, Math.max(0, x)) * 1e4) / 1e4;
  return { mean: r(c.mean), lo: r(c.lo), hi: r(c.hi), n: c.n };
}

export function assemble(
  scenario: Scenario,
  arm: SimArm,
  seeds: number[],
  base: number,
  outputs: ReplicationOutput[],
  command: string[],
  provenance: RunResult["provenance"],
): RunResult {
  const first = outputs[0]!;
  const overall = LatencyHistogram.create();
  for (const o of outputs) overall.merge(o.overall);
  const lanes = mergeMaps(outputs, (o) => o.byLane);
  const cohorts = mergeMaps(outputs, (o) => o.byCohort);
  const counters = sumCounters(outputs.map((o) => o.counters));
  const s = outputs.map((o) => o.summary);
  const clusters = [...new Set(s.flatMap((x) => Object.keys(x.cpuPeak)))].sort();
  const summary: RunSummary = {
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
  };
  const events: RunEvent[] = [...faultEvents(scenario), ...first.events].sort((a, b) => a.t - b.t);
  const thresholds = judgeScenarioThresholds(scenario, {
    overall,
    cohorts: cohorts.merged,
    counters,
    outputs,
  });
  return {
    schemaVersion: RUN_RESULT_SCHEMA_VERSION,
    kind: "sim",
    scenario: { name: scenario.name, description: scenario.description, definition: scenario.definition },
    config: { name: arm.name, role: arm.role, definition: arm.config },
    seeds: { base, replications: seeds },
    replications: outputs.length,
    windowSeconds: scenario.window / 1000,
    durationSeconds: first.durationMs / 1000,
    seriesReplication: 0,
    versions: { rushhour: rushhourVersion(), node: process.version },
    command,
    provenance,
    series: first.windows,
    histograms: { overall: overall.encode(), byLane: lanes.encoded, byCohort: cohorts.encoded },
    counters,
    summary,
    perReplication: outputs.map((o, r) => ({
      replication: r,
      seed: seeds[r]!,
      summary: o.summary,
      counters: o.counters,
      histogram: o.overall.encode(),
    })),
    events,
    thresholds,
  };
}

function faultEvents(scenario: Scenario): RunEvent[] {
  return scenario.faults.map((f) => ({
    t: f.at / 1000,
    kind: "fault" as const,
    message: `fault on ${f.provider}: ${f.kind}${f.kind === "latency" ? ` +${f.latencyMs}ms` : ""}${
      f.probability < 1 ? ` (${Math.round(f.probability * 100)}% of calls)` : ""
    } for ${f.duration / 1000}s`,
    providerId: f.provider,
    to: f.kind,
    endT: (f.at + f.duration) / 1000,
    data: { probability: f.probability, ...(f.latencyMs !== undefined ? { latencyMs: f.latencyMs } : {}) },
  }));
}

interface Observed {
  overall: LatencyHistogram;
  cohorts: Map<string, LatencyHistogram>;
  counters: RunCounters;
  outputs: ReplicationOutput[];
}

function latencyValue(h: LatencyHistogram | undefined, a: Aggregation): number | null {
  if (h === undefined || h.count === 0) return null;
  switch (a.kind) {
    case "p":
      return h.percentile(a.percentile);
    case "avg":
      return h.mean;
    case "med":
      return h.percentile(50);
    case "max":
      return h.max;
    case "min":
      return h.percentile(0);
    case "count":
      return h.count;
    default:
      return null;
  }
}

function countValue(count: number, submitted: number, a: Aggregation): number | null {
  if (a.kind === "count" || a.kind === "value") return count;
  if (a.kind === "rate") return submitted === 0 ? 0 : count / submitted;
  return null;
}

function seriesValue(values: number[], a: Aggregation): number | null {
  if (values.length === 0) return null;
  if (a.kind === "max" || a.kind === "value") return Math.max(...values);
  if (a.kind === "avg") return values.reduce((x, y) => x + y, 0) / values.length;
  if (a.kind === "min") return Math.min(...values);
  return null;
}

/** Judges a scenario's thresholds on merged simulation data (series metrics use every replication's peak/mean). */
export function judgeScenarioThresholds(scenario: Scenario, o: Observed): ThresholdResult[] {
  const c = o.counters;
  const submitted = c.submitted;
  const peaks = (f: (x: ReplicationOutput["summary"]) => number) => o.outputs.map((x) => f(x.summary));
  return judgeThresholds(scenario.thresholds, (metric, a) => {
    switch (metric) {
      case "latency":
        return latencyValue(o.overall, a);
      case "latency_vip":
        return latencyValue(o.cohorts.get("vip"), a);
      case "latency_standard":
        return latencyValue(o.cohorts.get("standard"), a);
      case "errors":
        return countValue(c.failed + c.rejected + (c.unfinished ?? 0), submitted, a);
      case "failed":
        return countValue(c.failed, submitted, a);
      case "rejected":
        return countValue(c.rejected, submitted, a);
      case "retries":
        return countValue(c.retried, submitted, a);
      case "timeouts":
        return countValue(c.timeouts, submitted, a);
      case "dropped":
        return countValue(c.dropped, submitted, a);
      case "duplicate_cards":
        return countValue(c.duplicateCards, submitted, a);
      case "throughput":
        return a.kind === "avg"
          ? seriesValue(
              peaks((x) => x.throughputMean),
              a,
            )
          : seriesValue(
              peaks((x) => x.throughputPeak),
              a,
            );
      case "cpu_primary":
        return seriesValue(
          peaks((x) => x.cpuPeak.primary ?? 0),
          a,
        );
      case "cpu_backup":
        return seriesValue(
          peaks((x) => x.cpuPeak.backup ?? 0),
          a,
        );
      default:
        return null;
    }
  });
}
