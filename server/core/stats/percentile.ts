// The exact percentile of a sample: linear interpolation between order statistics (Hyndman-Fan
// type 7, numpy's and R's default), through simple-statistics.
import { quantileSorted } from "simple-statistics";

/** Percentile `p` in [0, 1] of an ascending-sorted sample; NaN for an empty sample. */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return quantileSorted(Array.isArray(sorted) ? sorted : Array.from(sorted), p);
}

/** Percentile `p` in [0, 1] of a sample in any order; NaN for an empty sample. */
export function percentile(sample: ArrayLike<number>, p: number): number {
  if (sample.length === 0) return Number.NaN;
  const sorted = Float64Array.from(sample).sort();
  return percentileSorted(Array.from(sorted), p);
}
