// Service-time and latency distributions. Each draws from a RandomStream (one uniform per draw where
// possible, by inversion, so common random numbers line up between configurations).
import type { RandomStream } from "../../server/core/env.ts";

export interface Distribution {
  readonly name: string;
  /** The distribution's mean (analytic). */
  readonly mean: number;
  sample(rng: RandomStream): number;
}

/** Z-score of the 99th percentile of the standard normal. */
const Z99 = 2.3263478740408408;

export function exponential(mean: number): Distribution {
  if (!(mean > 0)) throw new Error(`exponential: mean must be > 0, got ${mean}`);
  return {
    name: `exponential(mean=${mean})`,
    mean,
    // 1 - u is in (0, 1], so the log is finite.
    sample: (rng) => -mean * Math.log(1 - rng.next()),
  };
}

export function deterministic(value: number): Distribution {
  return { name: `deterministic(${value})`, mean: value, sample: () => value };
}

export function uniform(min: number, max: number): Distribution {
  if (max < min) throw new Error(`uniform: max (${max}) < min (${min})`);
  const width = max - min;
  return {
    name: `uniform(${min}, ${max})`,
    mean: (min + max) / 2,
    sample: (rng) => min + width * rng.next(),
  };
}

/** Lognormal from its parameters: ln X ~ N(mu, sigma^2). */
export function lognormal(mu: number, sigma: number): Distribution {
  if (!(sigma >= 0)) throw new Error(`lognormal: sigma must be >= 0, got ${sigma}`);
  return {
    name: `lognormal(mu=${mu.toFixed(4)}, sigma=${sigma.toFixed(4)})`,
    mean: Math.exp(mu + (sigma * sigma) / 2),
    sample: (rng) => Math.exp(mu + sigma * normalQuantile(openUnit(rng))),
  };
}

/** The lognormal whose median is p50 and whose 99th percentile is p99. */
export function lognormalFromPercentiles(p50: number, p99: number): Distribution {
  if (!(p50 > 0) || p99 < p50) throw new Error(`lognormal: need 0 < p50 <= p99, got p50=${p50}, p99=${p99}`);
  return lognormal(Math.log(p50), (Math.log(p99) - Math.log(p50)) / Z99);
}

/** Inverse CDF of the empirical distribution of `values`, linearly interpolated between order statistics. */
export function empirical(values: readonly number[]): Distribution {
  const quantile = empiricalQuantile(values);
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  return { name: `empirical(n=${n})`, mean, sample: (rng) => quantile(rng.next()) };
}

/** The inverse CDF of `values` at u in [0, 1), linearly interpolated between order statistics. */
function empiricalQuantile(values: readonly number[]): (u: number) => number {
  if (values.length === 0) throw new Error("empirical: needs at least one value");
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  return (u) => {
    if (n === 1) return sorted[0]!;
    const x = u * (n - 1);
    const i = Math.floor(x);
    const lo = sorted[i]!;
    return i + 1 < n ? lo + (sorted[i + 1]! - lo) * (x - i) : lo;
  };
}

/** A latency whose distribution depends on the arrival rate (one uniform per draw, like `empirical`). */
export type RateDistribution = (rng: RandomStream, rate: number) => number;

/**
 * Empirical distributions measured at several rates: a draw at `rate` takes the same quantile of the two
 * nearest measured rates' distributions and interpolates linearly between them by rate (so the median
 * moves smoothly from one measured median to the next); below the lowest rate the lowest's, above the
 * highest the highest's (no extrapolation past what was measured).
 */
export function empiricalByRate(
  points: readonly { rate: number; values: readonly number[] }[],
): RateDistribution {
  if (points.length === 0) throw new Error("empirical by rate: needs at least one rate");
  const sorted = [...points].sort((a, b) => a.rate - b.rate);
  const rates = sorted.map((p) => p.rate);
  const quantiles = sorted.map((p) => empiricalQuantile(p.values));
  const last = rates.length - 1;
  return (rng, rate) => {
    const u = rng.next();
    if (rate <= rates[0]!) return quantiles[0]!(u);
    if (rate >= rates[last]!) return quantiles[last]!(u);
    let i = 1;
    while (rates[i]! < rate) i++;
    const a = rates[i - 1]!;
    const qa = quantiles[i - 1]!(u);
    return qa + ((quantiles[i]!(u) - qa) * (rate - a)) / (rates[i]! - a);
  };
}

function openUnit(rng: RandomStream): number {
  const u = rng.next();
  return u === 0 ? 2 ** -33 : u;
}

/**
 * Standard normal quantile (Acklam's rational approximation, relative error < 1.15e-9), so a normal
 * draw costs one uniform.
 */
export function normalQuantile(p: number): number {
  const a1 = -39.69683028665376;
  const a2 = 220.9460984245205;
  const a3 = -275.9285104469687;
  const a4 = 138.357751867269;
  const a5 = -30.66479806614716;
  const a6 = 2.506628277459239;
  const b1 = -54.47609879822406;
  const b2 = 161.5858368580409;
  const b3 = -155.6989798598866;
  const b4 = 66.80131188771972;
  const b5 = -13.28068155288572;
  const c1 = -0.007784894002430293;
  const c2 = -0.3223964580411365;
  const c3 = -2.400758277161838;
  const c4 = -2.549732539343734;
  const c5 = 4.374664141464968;
  const c6 = 2.938163982698783;
  const d1 = 0.007784695709041462;
  const d2 = 0.3224671290700398;
  const d3 = 2.445134137142996;
  const d4 = 3.754408661907416;
  const pLow = 0.02425;
  if (p < pLow) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c1 * q + c2) * q + c3) * q + c4) * q + c5) * q + c6) /
      ((((d1 * q + d2) * q + d3) * q + d4) * q + 1)
    );
  }
  if (p <= 1 - pLow) {
    const q = p - 0.5;
    const r = q * q;
    return (
      ((((((a1 * r + a2) * r + a3) * r + a4) * r + a5) * r + a6) * q) /
      (((((b1 * r + b2) * r + b3) * r + b4) * r + b5) * r + 1)
    );
  }
  const q = Math.sqrt(-2 * Math.log(1 - p));
  return (
    -(((((c1 * q + c2) * q + c3) * q + c4) * q + c5) * q + c6) / ((((d1 * q + d2) * q + d3) * q + d4) * q + 1)
  );
}

/** Latency spec of a scenario provider (durations already in ms). */
export type LatencyParams =
  | { p50: number; p99: number; dist?: "lognormal" }
  | { dist: "exponential"; mean: number }
  | { dist: "deterministic"; value: number }
  | { dist: "uniform"; min: number; max: number }
  | { dist: "empirical"; values: number[]; byRate?: { rate: number; values: number[] }[] | undefined };

/** The spec's rate-dependent latency (an empirical one measured at several rates), or null: none. */
export function rateDistributionFromSpec(spec: LatencyParams): RateDistribution | null {
  return "dist" in spec && spec.dist === "empirical" && spec.byRate !== undefined
    ? empiricalByRate(spec.byRate)
    : null;
}

export function distributionFromSpec(spec: LatencyParams): Distribution {
  if ("p50" in spec) return lognormalFromPercentiles(spec.p50, spec.p99);
  switch (spec.dist) {
    case "exponential":
      return exponential(spec.mean);
    case "deterministic":
      return deterministic(spec.value);
    case "uniform":
      return uniform(spec.min, spec.max);
    case "empirical":
      return empirical(spec.values);
  }
}
