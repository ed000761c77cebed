// The one threshold judge, for simulated and live runs alike. Its input is neutral: the merged histograms,
// summed counters and the point summary of each replication (a live run has one). Series metrics
// (throughput, cpu_*) are judged on those points: max/value over each replication's peak, avg over its mean
// (throughput) or its peak (cpu). Expression parsing is in ./thresholds.ts.
import type { LatencyHistogram } from "./histogram.ts";
import type { PointSummary, RunCounters, ThresholdResult } from "./run-result.ts";
import { type Aggregation, judgeThresholds } from "./thresholds.ts";

/** What a run observed, as the judge reads it. */
export interface Observed {
  /** Every latency of the run (all replications merged). */
  overall: LatencyHistogram;
  /** Latency per cohort ("vip", "standard"); a missing cohort fails its thresholds. */
  cohorts: ReadonlyMap<string, LatencyHistogram>;
  counters: RunCounters;
  /** The point summary of each replication (one for a live run). */
  points: readonly PointSummary[];
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

/** Judges thresholds (metric -> k6 expressions, as a scenario writes them) on what a run observed. */
export function judgeObserved(
  thresholds: Readonly<Record<string, readonly string[]>>,
  o: Observed,
): ThresholdResult[] {
  const c = o.counters;
  const submitted = c.submitted;
  const peaks = (f: (x: PointSummary) => number) => o.points.map(f);
  return judgeThresholds(thresholds, (metric, a) => {
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
        return seriesValue(
          peaks((x) => (a.kind === "avg" ? x.throughputMean : x.throughputPeak)),
          a,
        );
      case "goodput":
        // Runs written before goodput have no value: null fails the threshold, as for a missing metric.
        if (o.points.some((x) => x.goodputPeak === undefined || x.goodputMean === undefined)) return null;
        return seriesValue(
          peaks((x) => (a.kind === "avg" ? x.goodputMean! : x.goodputPeak!)),
          a,
        );
      case "interventions":
        return c.interventions === undefined ? null : countValue(c.interventions, submitted, a);
      case "complaint_risk":
        return c.complaintRisk === undefined ? null : countValue(c.complaintRisk, submitted, a);
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
