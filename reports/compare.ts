// Baseline against candidate: the before/after table (with an interval and a verdict per metric), the rank
// test on the whole latency distribution, and the one-line verdict on goodput and P99. Goodput (orders
// delivered within the scenario's latency objective, results/business.ts) is the headline throughput: raw
// delivered/s counts a backlog drained late after a fault as if it were capacity.

import {
  bootstrapDelta,
  type ChangeVerdict,
  type DeltaEstimate,
  type Direction,
  type MannWhitneyResult,
  mannWhitney,
  mean,
  orderStatisticDelta,
  verdictOf,
} from "../results/stats.ts";
import type { QuantileKey, ReplicationSummary, RunView } from "./model.ts";

export type MetricKey =
  | "goodputPeak"
  | "goodputMean"
  | "peakThroughput"
  | "p50Ms"
  | "p95Ms"
  | "p99Ms"
  | "interventionsPerDay"
  | "complaintRiskPerDay"
  | "cpuPeak"
  | "errorRate"
  | "retries";

interface MetricDef {
  key: MetricKey;
  label: string;
  unit: "orders/s" | "ms" | "%" | "count" | "per day";
  direction: Direction;
}

/** The table's rows in order; a row whose values a run lacks (a RunResult older than the metric) is left out. */
export const METRICS: MetricDef[] = [
  { key: "goodputPeak", label: "Peak goodput", unit: "orders/s", direction: "higher-is-better" },
  { key: "goodputMean", label: "Mean goodput", unit: "orders/s", direction: "higher-is-better" },
  { key: "peakThroughput", label: "Peak delivered (raw)", unit: "orders/s", direction: "higher-is-better" },
  { key: "p50Ms", label: "P50 latency", unit: "ms", direction: "lower-is-better" },
  { key: "p95Ms", label: "P95 latency", unit: "ms", direction: "lower-is-better" },
  { key: "p99Ms", label: "P99 latency", unit: "ms", direction: "lower-is-better" },
  {
    key: "interventionsPerDay",
    label: "Manual interventions",
    unit: "per day",
    direction: "lower-is-better",
  },
  {
    key: "complaintRiskPerDay",
    label: "Complaint-risk orders",
    unit: "per day",
    direction: "lower-is-better",
  },
  { key: "cpuPeak", label: "CPU peak", unit: "%", direction: "lower-is-better" },
  { key: "errorRate", label: "Error rate", unit: "%", direction: "lower-is-better" },
  { key: "retries", label: "Retries", unit: "count", direction: "lower-is-better" },
];

/** "higher is better" / "lower is better", as the tables print a row's direction. */
export function directionText(d: Direction): string {
  return d === "higher-is-better" ? "higher is better" : "lower is better";
}

export interface MetricRow extends MetricDef {
  before: number;
  after: number;
  estimate: DeltaEstimate;
  verdict: ChangeVerdict;
}

export interface RankTest extends MannWhitneyResult {
  n: { baseline: number; candidate: number };
  /** What the ranks were computed on. */
  basis: string;
}

export interface Comparison {
  scenario: string;
  baseline: string;
  candidate: string;
  rows: MetricRow[];
  p99: MetricRow;
  /** The headline throughput: peak goodput, or raw peak delivered/s when a run lacks goodput (older files). */
  headline: MetricRow;
  /** Mann-Whitney of candidate against baseline latencies (probabilityOfSuperiority > 0.5: candidate slower). */
  rank?: RankTest;
  /**
   * The one-line verdict, on the headline throughput and P99 together: worse when either is worse, better
   * when at least one is better and neither worse, else no significant change (not tested when neither is).
   */
  verdict: ChangeVerdict;
}

export const RANK_BASIS =
  "Mann-Whitney U on latency samples drawn deterministically from each whole-run HDR histogram " +
  "(values at evenly spaced ranks, up to 2,000 per side); the samples stand in for the full distributions, " +
  "so p is indicative, not exact";

export function compareRuns(base: RunView, cand: RunView): Comparison {
  const rows = METRICS.filter((m) => hasMetric(base, m.key) && hasMetric(cand, m.key)).map((m) =>
    metricRow(m, base, cand),
  );
  const p99 = rows.find((r) => r.key === "p99Ms")!;
  const headline = rows.find((r) => r.key === "goodputPeak") ?? rows.find((r) => r.key === "peakThroughput")!;
  let rank: RankTest | undefined;
  if (base.latencySample.length > 0 && cand.latencySample.length > 0) {
    rank = {
      ...mannWhitney(cand.latencySample, base.latencySample),
      n: { baseline: base.latencySample.length, candidate: cand.latencySample.length },
      basis: RANK_BASIS,
    };
  }
  return {
    scenario: cand.scenario,
    baseline: base.config,
    candidate: cand.config,
    rows,
    p99,
    headline,
    ...(rank ? { rank } : {}),
    verdict: combinedVerdict([headline.verdict, p99.verdict]),
  };
}

function combinedVerdict(verdicts: readonly ChangeVerdict[]): ChangeVerdict {
  if (verdicts.includes("worse")) return "worse";
  if (verdicts.includes("better")) return "better";
  if (verdicts.every((v) => v === "not tested")) return "not tested";
  return "no significant change";
}

function hasMetric(r: RunView, key: MetricKey): boolean {
  return r.replications.length > 0 && r.replications.every((x) => x[key] !== undefined);
}

function metricRow(m: MetricDef, base: RunView, cand: RunView): MetricRow {
  const values = (r: RunView) => r.replications.map((x) => ({ seed: x.seed, value: pick(x, m.key) }));
  let estimate = bootstrapDelta(values(base), values(cand));
  if (estimate.method === "none" && isQuantile(m.key)) {
    const bi = base.intervals[m.key];
    const ci = cand.intervals[m.key];
    if (bi && ci) {
      estimate = orderStatisticDelta(
        { value: mean(values(base).map((v) => v.value)), lo: bi.lowMs, hi: bi.highMs },
        { value: mean(values(cand).map((v) => v.value)), lo: ci.lowMs, hi: ci.highMs },
      );
    }
  }
  return {
    ...m,
    before: mean(values(base).map((v) => v.value)),
    after: mean(values(cand).map((v) => v.value)),
    estimate,
    verdict: verdictOf(estimate, m.direction),
  };
}

function isQuantile(key: MetricKey): key is QuantileKey {
  return key === "p50Ms" || key === "p95Ms" || key === "p99Ms";
}

function pick(r: ReplicationSummary, key: MetricKey): number {
  return r[key] ?? Number.NaN;
}

/** "1,234", "12.3", "0.0123" : enough digits to compare, no more. */
export function formatValue(v: number, unit: MetricRow["unit"]): string {
  if (!Number.isFinite(v)) return "n/a";
  if (unit === "%") return `${round(v * 100)}%`;
  if (unit === "ms") return `${round(v)} ms`;
  if (unit === "orders/s") return `${round(v)}/s`;
  if (unit === "per day") return `${round(v)}/day`;
  return round(v);
}

function round(v: number): string {
  const a = Math.abs(v);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
  return v.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function formatPercent(x: number): string {
  if (!Number.isFinite(x)) return "n/a";
  const p = x * 100;
  const s = Math.abs(p) >= 10 ? p.toFixed(0) : p.toFixed(1);
  return `${p > 0 ? "+" : ""}${s}%`;
}

/** "-71% [-74%, -68%]" or "-71% (no interval: 1 replication)". */
export function formatChange(row: MetricRow): string {
  const e = row.estimate;
  const point = formatPercent(e.relative);
  if (e.relativeCi) return `${point} [${formatPercent(e.relativeCi.lo)}, ${formatPercent(e.relativeCi.hi)}]`;
  // A baseline of 0 has no relative interval; the absolute one still says whether anything moved.
  if (e.ci) return `${point} [abs ${formatValue(e.ci.lo, row.unit)}, ${formatValue(e.ci.hi, row.unit)}]`;
  return `${point} (no interval: ${e.n.baseline}+${e.n.candidate} replications)`;
}

export function methodNote(row: MetricRow): string {
  switch (row.estimate.method) {
    case "paired-bootstrap":
      return `paired bootstrap over ${row.estimate.n.baseline} replications with common seeds`;
    case "bootstrap":
      return `bootstrap over ${row.estimate.n.baseline} + ${row.estimate.n.candidate} replications`;
    case "order-statistic":
      return "order-statistic intervals of one run each";
    case "none":
      return "no interval";
  }
}
