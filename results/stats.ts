// The statistics behind compare, the before/after table and the gate. Pure functions on plain arrays, with a
// seeded generator for the bootstrap so the same inputs always give the same interval (and the same gate verdict).
import { Xoshiro128 } from "../server/core/random.ts";
import { normalCdf as coreNormalCdf, mannWhitneyU } from "../server/core/stats/index.ts";

export interface Interval {
  lo: number;
  hi: number;
}

/** Standard normal CDF (the core's, shared with the canary judge). */
export function normalCdf(z: number): number {
  return coreNormalCdf(z);
}

export interface MannWhitneyResult {
  /** U of the first sample (a): the number of pairs (a_i, b_j) with a_i > b_j, ties counting one half. */
  u: number;
  z: number;
  /** Two-sided p value, normal approximation with tie and continuity corrections. */
  p: number;
  /** P(A > B) + P(A = B)/2: 0.5 means no shift; above 0.5 means A tends to be larger. */
  probabilityOfSuperiority: number;
  /** Cliff's delta = 2 * probabilityOfSuperiority - 1, in [-1, 1]. */
  cliffsDelta: number;
}

/**
 * Mann-Whitney U test of a against b: the core's implementation (server/core/stats, also used by the canary
 * judge), seen from a's side.
 */
export function mannWhitney(a: readonly number[], b: readonly number[]): MannWhitneyResult {
  if (a.length === 0 || b.length === 0) throw new Error("mannWhitney needs two non-empty samples");
  // mannWhitneyU(x, y) reports y's side (uB, P(y > x)); pass b first to get a's.
  const r = mannWhitneyU(b, a);
  return { u: r.uB, z: r.z, p: r.p, probabilityOfSuperiority: r.commonLanguage, cliffsDelta: r.rankBiserial };
}

export function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return xs.length ? s / xs.length : Number.NaN;
}

/** The q-quantile (0..1) of sorted values, linear interpolation between closest ranks (type 7). */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export interface DeltaEstimate {
  /** candidate - baseline, on the means across replications. */
  delta: number;
  /** delta / baseline mean (NaN when the baseline mean is 0). */
  relative: number;
  /** 95% interval of the relative change; undefined when it cannot be estimated. */
  relativeCi?: Interval;
  /** 95% interval of the absolute change. */
  ci?: Interval;
  method: "paired-bootstrap" | "bootstrap" | "order-statistic" | "none";
  n: { baseline: number; candidate: number };
}

const BOOTSTRAP_SEED = 0x5eed;

/**
 * Change of the mean of per-replication values, with a 95% percentile-bootstrap interval (B resamples).
 * Paired when both sides list the same seeds (common random numbers): then the replications are resampled
 * together, which cancels the seed-to-seed noise both configurations share.
 */
export function bootstrapDelta(
  base: ReadonlyArray<{ seed: number; value: number }>,
  cand: ReadonlyArray<{ seed: number; value: number }>,
  resamples = 4000,
): DeltaEstimate {
  const b = base.map((r) => r.value);
  const c = cand.map((r) => r.value);
  const mb = mean(b);
  const mc = mean(c);
  const est: DeltaEstimate = {
    delta: mc - mb,
    relative: mb === 0 ? (mc === 0 ? 0 : Number.NaN) : (mc - mb) / mb,
    method: "none",
    n: { baseline: b.length, candidate: c.length },
  };
  const paired = sameSeeds(base, cand);
  if (!paired && (b.length < 2 || c.length < 2)) return est;
  if (paired && b.length < 2) return est;
  const rng = new Xoshiro128(BOOTSTRAP_SEED);
  const pick = (n: number) => Math.floor(rng.next() * n);
  const deltas: number[] = [];
  const rels: number[] = [];
  const candBySeed = new Map(cand.map((r) => [r.seed, r.value]));
  const pairedC = paired ? base.map((r) => candBySeed.get(r.seed)!) : [];
  for (let k = 0; k < resamples; k++) {
    let sb = 0;
    let sc = 0;
    if (paired) {
      for (let i = 0; i < b.length; i++) {
        const j = pick(b.length);
        sb += b[j]!;
        sc += pairedC[j]!;
      }
      sb /= b.length;
      sc /= b.length;
    } else {
      for (let i = 0; i < b.length; i++) sb += b[pick(b.length)]!;
      for (let i = 0; i < c.length; i++) sc += c[pick(c.length)]!;
      sb /= b.length;
      sc /= c.length;
    }
    deltas.push(sc - sb);
    if (sb !== 0) rels.push((sc - sb) / sb);
  }
  deltas.sort((x, y) => x - y);
  rels.sort((x, y) => x - y);
  est.ci = { lo: quantileSorted(deltas, 0.025), hi: quantileSorted(deltas, 0.975) };
  if (rels.length === resamples) {
    est.relativeCi = { lo: quantileSorted(rels, 0.025), hi: quantileSorted(rels, 0.975) };
  }
  est.method = paired ? "paired-bootstrap" : "bootstrap";
  return est;
}

function sameSeeds(a: ReadonlyArray<{ seed: number }>, b: ReadonlyArray<{ seed: number }>): boolean {
  if (a.length !== b.length || a.length === 0) return false;
  const sa = new Set(a.map((r) => r.seed));
  return sa.size === a.length && b.every((r) => sa.has(r.seed));
}

/**
 * Change between two single-run quantile estimates, each given with its own 95% order-statistic interval:
 * the conservative interval [c.lo - b.hi, c.hi - b.lo]. Used when there is one replication per side.
 */
export function orderStatisticDelta(
  base: { value: number; lo: number; hi: number },
  cand: { value: number; lo: number; hi: number },
): DeltaEstimate {
  const delta = cand.value - base.value;
  // Latencies are never negative, so the change cannot go below -100% whatever the intervals say.
  const ci = { lo: Math.max(cand.lo - base.hi, -base.value), hi: cand.hi - base.lo };
  const est: DeltaEstimate = {
    delta,
    relative: base.value === 0 ? Number.NaN : delta / base.value,
    ci,
    method: "order-statistic",
    n: { baseline: 1, candidate: 1 },
  };
  if (base.value !== 0) est.relativeCi = { lo: ci.lo / base.value, hi: ci.hi / base.value };
  return est;
}

/** The ranks (1-based, clamped) of a 95% distribution-free interval for the q-quantile of n values. */
export function quantileRankInterval(n: number, q: number): { lo: number; hi: number } {
  const half = 1.959964 * Math.sqrt(n * q * (1 - q));
  return {
    lo: Math.max(1, Math.floor(n * q - half)),
    hi: Math.min(n, Math.ceil(n * q + half) + 1),
  };
}

export type Direction = "lower-is-better" | "higher-is-better";
export type ChangeVerdict = "better" | "worse" | "no significant change" | "not tested";

/** better / worse when the 95% interval of the change excludes zero, else no significant change. */
export function verdictOf(est: DeltaEstimate, direction: Direction): ChangeVerdict {
  const ci = est.ci;
  if (!ci) return "not tested";
  if (ci.lo > 0) return direction === "lower-is-better" ? "worse" : "better";
  if (ci.hi < 0) return direction === "lower-is-better" ? "better" : "worse";
  return "no significant change";
}
