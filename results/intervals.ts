// Confidence intervals across replications (Student t, two-sided 95%).
import type { Ci } from "./run-result.ts";

/** t(0.975, df) for df = 1..30; beyond 30 the normal 1.96 is within 2%. */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

export function tQuantile975(df: number): number {
  if (df < 1) return Number.NaN;
  return df <= 30 ? T975[df - 1]! : 1.96;
}

/** Mean with a 95% CI; one value gives lo = hi = mean. */
export function meanCi(values: readonly number[]): Ci {
  const n = values.length;
  if (n === 0) return { mean: 0, lo: 0, hi: 0, n: 1 };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, lo: mean, hi: mean, n };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  const half = tQuantile975(n - 1) * Math.sqrt(variance / n);
  return { mean, lo: mean - half, hi: mean + half, n };
}

/** CI of the mean paired difference candidate - baseline (same seeds, replication by replication). */
export function pairedDifferenceCi(baseline: readonly number[], candidate: readonly number[]): Ci {
  if (baseline.length !== candidate.length) throw new Error("paired samples must have the same length");
  return meanCi(candidate.map((c, i) => c - baseline[i]!));
}
