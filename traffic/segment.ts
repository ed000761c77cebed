// Execution segments: one run's arrival schedule split over n driver processes (shards), with k6's
// execution-segment arithmetic for n equal segments (0:1/n, 1/n:2/n, ...): every shard walks the same global
// schedule and takes the iterations striped to it, iteration i to shard i mod n, so the shards interleave
// and together send exactly the unsharded schedule, each iteration once. Within a shard, worker threads
// stripe the shard's iterations the same way; the composition is again one stripe of the global index.
// load/README.md ("Sharded load") describes the flags that choose a segment.

/** Shard `index` (0-based) of `count`. */
export interface ExecutionSegment {
  index: number;
  count: number;
}

/** The unsharded run: the one segment 0:1. */
export const WHOLE: ExecutionSegment = { index: 0, count: 1 };

/** Shards at most: a bound on a typo (--segment 1/100000), far above any cluster a run would use. */
export const MAX_SEGMENTS = 10_000;

/** Parses "i/n" (0 <= i < n); the error names `flag`. */
export function parseSegment(text: string, flag = "--segment"): ExecutionSegment {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (m === null)
    throw new Error(`${flag} must be INDEX/COUNT with 0 <= INDEX < COUNT (e.g. 0/3), got "${text}"`);
  return checkSegment(Number(m[1]), Number(m[2]), flag);
}

/** A segment from an index and a count; the error names `flag`. */
export function checkSegment(index: number, count: number, flag = "--segment"): ExecutionSegment {
  if (!Number.isSafeInteger(count) || count < 1 || count > MAX_SEGMENTS) {
    throw new Error(`${flag}: the count must be a whole number from 1 to ${MAX_SEGMENTS}, got ${count}`);
  }
  if (!Number.isSafeInteger(index) || index < 0 || index >= count) {
    throw new Error(`${flag}: the index must be a whole number from 0 to ${count - 1}, got ${index}`);
  }
  return { index, count };
}

export function formatSegment(s: ExecutionSegment): string {
  return `${s.index}/${s.count}`;
}

/**
 * The stripe of worker `worker` of `workers` inside `segment`: it runs global iteration i exactly when
 * i % of === index. Shard s takes i with i % n === s; its k-th iteration is s + k n, and worker w takes
 * k with k % W === w, so i = s + n (w + j W): one stripe of stride n W starting at s + n w.
 */
export function engineShare(
  segment: ExecutionSegment,
  worker: number,
  workers: number,
): { index: number; of: number } {
  return { index: segment.index + segment.count * worker, of: segment.count * workers };
}

/** The global iteration numbers a stripe runs out of `total` (ascending). */
export function* stripe(total: number, share: { index: number; of: number }): Generator<number> {
  for (let i = share.index; i < total; i += share.of) yield i;
}

/** How many of `total` iterations a stripe runs. */
export function stripeCount(total: number, share: { index: number; of: number }): number {
  return total <= share.index ? 0 : Math.ceil((total - share.index) / share.of);
}

/**
 * A stripe's part of a whole count (k6 splits VUs and maxVUs by segment): the parts of every stripe add
 * up to `value`, and differ by at most one.
 */
export function splitCount(value: number, share: { index: number; of: number }): number {
  return Math.floor(value / share.of) + (share.index < value % share.of ? 1 : 0);
}
