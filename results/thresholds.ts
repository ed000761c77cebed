// Thresholds in k6 syntax: per metric, a list of expressions "<aggregation><op><number>", e.g.
// latency: ["p(99)<2000", "avg<500"], errors: ["rate<0.001"], duplicate_cards: ["count==0"].
// Parsing and judging are pure so `sim` and `load` judge identically.
import type { ThresholdResult } from "./run-result.ts";

export type Aggregation =
  | { kind: "p"; percentile: number }
  | { kind: "avg" | "min" | "max" | "med" | "rate" | "count" | "value" };
export type Comparison = "<" | "<=" | ">" | ">=" | "==" | "!=";

export interface Threshold {
  expression: string;
  aggregation: Aggregation;
  op: Comparison;
  value: number;
}

/**
 * Metrics a scenario may put thresholds on, with their unit. Latencies in ms; "rate" is a fraction of
 * submitted orders; cpu_* are peak-window utilisation 0..1 (max) or mean (avg); throughput in orders/s.
 */
export const THRESHOLD_METRICS = {
  latency: "ms, submit to delivered: p(N), avg, med, min, max",
  latency_vip: "ms, VIP orders only",
  latency_standard: "ms, standard orders only",
  errors: "failed + rejected orders: rate, count",
  failed: "failed orders: rate, count",
  rejected: "rejected orders: rate, count",
  retries: "retry attempts: rate (per submitted order), count",
  timeouts: "provider call timeouts: rate, count",
  dropped: "live only, requests not started: rate, count",
  duplicate_cards: "cards handed to two orders: count",
  throughput: "delivered orders/s per window: max, avg",
  goodput:
    "orders/s delivered within the scenario's latency objective: max (busiest window), avg (over the traffic)",
  interventions: "manual interventions (FAILED, REVIEW, stranded cards, unrecovered incidents): count, rate",
  complaint_risk: "complaint-risk orders (failed, rejected, denied by error, unfinished, late): count, rate",
  cpu_primary: "primary cluster utilisation 0..1 per window: max, avg",
  cpu_backup: "backup cluster utilisation 0..1 per window: max, avg",
} as const;
export type ThresholdMetric = keyof typeof THRESHOLD_METRICS;

const EXPR =
  /^\s*(p\(\s*(\d+(?:\.\d+)?)\s*\)|avg|min|max|med|rate|count|value)\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*$/i;

export class ThresholdSyntaxError extends Error {
  override name = "ThresholdSyntaxError";
}

/** Parses one expression; throws ThresholdSyntaxError with a hint. */
export function parseThreshold(expression: string): Threshold {
  const m = EXPR.exec(expression);
  if (m === null) {
    throw new ThresholdSyntaxError(
      `"${expression}" is not a threshold: expected <aggregation><op><number>, e.g. "p(99)<2000", "rate<0.01", "count==0"`,
    );
  }
  const aggText = m[1]!.toLowerCase();
  let aggregation: Aggregation;
  if (m[2] !== undefined) {
    const percentile = Number(m[2]);
    if (percentile < 0 || percentile > 100) {
      throw new ThresholdSyntaxError(`"${expression}": percentile must be between 0 and 100`);
    }
    aggregation = { kind: "p", percentile };
  } else {
    aggregation = { kind: aggText as Exclude<Aggregation["kind"], "p"> };
  }
  return { expression: expression.trim(), aggregation, op: m[3] as Comparison, value: Number(m[4]) };
}

/** The canonical key of an aggregation: "p(99)", "avg", "rate"... */
export function aggregationKey(a: Aggregation): string {
  return a.kind === "p" ? `p(${a.percentile})` : a.kind;
}

export function compare(observed: number, op: Comparison, value: number): boolean {
  switch (op) {
    case "<":
      return observed < value;
    case "<=":
      return observed <= value;
    case ">":
      return observed > value;
    case ">=":
      return observed >= value;
    case "==":
      return observed === value;
    case "!=":
      return observed !== value;
  }
}

/** Looks up an observed value; null when the metric or aggregation is not available (the threshold fails). */
export type ObservedLookup = (metric: string, aggregation: Aggregation) => number | null;

/**
 * Judges every threshold. `observed` is a lookup function or a nested record
 * `{ latency: { "p(99)": 1830, avg: 400 }, errors: { rate: 0.0004, count: 12 } }`.
 */
export function judgeThresholds(
  thresholds: Readonly<Record<string, readonly string[]>>,
  observed: ObservedLookup | Readonly<Record<string, Readonly<Record<string, number>>>>,
): ThresholdResult[] {
  const lookup: ObservedLookup =
    typeof observed === "function"
      ? observed
      : (metric, agg) => {
          const v = observed[metric]?.[aggregationKey(agg)];
          return v === undefined ? null : v;
        };
  const results: ThresholdResult[] = [];
  for (const [metric, expressions] of Object.entries(thresholds)) {
    for (const expression of expressions) {
      const t = parseThreshold(expression);
      const value = lookup(metric, t.aggregation);
      const ok = value !== null && Number.isFinite(value);
      results.push({
        metric,
        expression: t.expression,
        observed: ok ? value : null,
        pass: ok && compare(value, t.op, t.value),
      });
    }
  }
  return results;
}
