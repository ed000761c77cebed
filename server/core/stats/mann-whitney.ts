// Mann-Whitney U (Wilcoxon rank-sum) test with tie correction and the normal approximation with a
// continuity correction (scipy.stats.mannwhitneyu(..., method="asymptotic") gives the same numbers),
// and its effect sizes.
import { twoSidedP } from "./normal.ts";

export interface MannWhitneyResult {
  /** U of the first sample (a): pairs (a_i, b_j) with a_i > b_j, ties counting one half. */
  uA: number;
  /** U of the second sample (b) = nA x nB - uA. */
  uB: number;
  /** z of uB with continuity and tie correction (positive when b tends to be larger). */
  z: number;
  /** Two-sided p-value. */
  p: number;
  /**
   * Common-language effect size: P(b > a) + P(b = a) / 2 = uB / (nA x nB). 0.5 means no effect;
   * for latencies (a = baseline, b = candidate), above 0.5 means the candidate is slower.
   */
  commonLanguage: number;
  /** Rank-biserial correlation = 2 x commonLanguage - 1, in [-1, 1]. */
  rankBiserial: number;
}

export function mannWhitneyU(a: ArrayLike<number>, b: ArrayLike<number>): MannWhitneyResult {
  const nA = a.length;
  const nB = b.length;
  if (nA === 0 || nB === 0) {
    return {
      uA: Number.NaN,
      uB: Number.NaN,
      z: Number.NaN,
      p: Number.NaN,
      commonLanguage: Number.NaN,
      rankBiserial: Number.NaN,
    };
  }
  const n = nA + nB;
  // Pack (value, from-a) pairs so one numeric sort ranks both samples.
  const values = new Float64Array(n);
  const fromA = new Uint8Array(n);
  const order = new Uint32Array(n);
  for (let i = 0; i < nA; i++) values[i] = a[i]!;
  for (let i = 0; i < nB; i++) values[nA + i] = b[i]!;
  for (let i = 0; i < nA; i++) fromA[i] = 1;
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((x, y) => values[x]! - values[y]!);
  let rankSumA = 0;
  let tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && values[order[j]!] === values[order[i]!]) j++;
    const t = j - i;
    const averageRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (fromA[order[k]!] === 1) rankSumA += averageRank;
    if (t > 1) tieTerm += t * t * t - t;
    i = j;
  }
  const uA = rankSumA - (nA * (nA + 1)) / 2;
  const uB = nA * nB - uA;
  const mean = (nA * nB) / 2;
  const variance = ((nA * nB) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  let z = 0;
  let p = 1;
  if (variance > 0) {
    const diff = uB - mean;
    const corrected = Math.sign(diff) * Math.max(0, Math.abs(diff) - 0.5);
    z = corrected / Math.sqrt(variance);
    p = twoSidedP(z);
  }
  const commonLanguage = uB / (nA * nB);
  return { uA, uB, z, p, commonLanguage, rankBiserial: 2 * commonLanguage - 1 };
}
