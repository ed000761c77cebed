// Bootstrap confidence interval of a percentile difference, percentile(b) - percentile(a), driven by
// a seeded RandomStream (so the interval is reproducible). Each resample draws n indices into the
// sorted sample and finds the needed order statistics by counting (O(n), no sort per resample).
// The interval is the percentile bootstrap: the (1-c)/2 and (1+c)/2 percentiles of the differences.
import type { RandomStream } from "../env.ts";
import { percentileSorted } from "./percentile.ts";

function resampledPercentile(
  sorted: Float64Array,
  p: number,
  rng: RandomStream,
  counts: Uint32Array,
): number {
  const n = sorted.length;
  counts.fill(0, 0, n);
  for (let i = 0; i < n; i++) counts[Math.floor(rng.next() * n)]!++;
  // Type 7: the value at fractional rank (n - 1) p of the resample, interpolated.
  const position = (n - 1) * p;
  const lowRank = Math.floor(position);
  const fraction = position - lowRank;
  let seen = 0;
  let low = Number.NaN;
  for (let i = 0; i < n; i++) {
    const c = counts[i]!;
    if (c === 0) continue;
    if (Number.isNaN(low) && seen + c > lowRank) {
      low = sorted[i]!;
      if (fraction === 0 || seen + c > lowRank + 1) return low;
    } else if (!Number.isNaN(low)) {
      return low + fraction * (sorted[i]! - low);
    }
    seen += c;
  }
  return low;
}

export interface BootstrapCi {
  /** The difference on the original samples. */
  estimate: number;
  low: number;
  high: number;
}

/** CI of percentile_p(b) - percentile_p(a); NaNs when either sample is empty. */
export function bootstrapPercentileDiffCi(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  p: number,
  iterations: number,
  rng: RandomStream,
  confidence = 0.95,
): BootstrapCi {
  if (a.length === 0 || b.length === 0) return { estimate: Number.NaN, low: Number.NaN, high: Number.NaN };
  const sa = Float64Array.from(a).sort();
  const sb = Float64Array.from(b).sort();
  const estimate = percentileSorted(Array.from(sb), p) - percentileSorted(Array.from(sa), p);
  const counts = new Uint32Array(Math.max(sa.length, sb.length));
  const diffs: number[] = new Array(iterations);
  for (let i = 0; i < iterations; i++) {
    diffs[i] = resampledPercentile(sb, p, rng, counts) - resampledPercentile(sa, p, rng, counts);
  }
  diffs.sort((x, y) => x - y);
  const tail = (1 - confidence) / 2;
  return { estimate, low: percentileSorted(diffs, tail), high: percentileSorted(diffs, 1 - tail) };
}
