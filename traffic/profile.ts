// The rate profile of a traffic (k6 semantics): a ramping-arrival-rate moves linearly from the previous
// target (startRate first) to each stage's target over the stage's duration. One piecewise-linear profile
// serves the simulator's arrivals (thinning against each segment's peak) and the live executors (the
// integral and its inverse give iteration n's start). Times are ms from the start of the traffic.
import { replayArrivals, replayRateAt, replayShape } from "./replay/timeline.ts";
import type { Traffic } from "./schema.ts";

/** One piecewise-linear piece of an arrival-rate traffic; rates in arrivals per MILLIsecond. */
export interface Segment {
  start: number;
  end: number;
  /** end - start as written (kept apart: start + duration - start need not equal duration in floats). */
  duration: number;
  from: number;
  to: number;
  peak: number;
}

type ArrivalRateTraffic = Extract<Traffic, { executor: "constant-arrival-rate" | "ramping-arrival-rate" }>;

export function isArrivalRate(traffic: Traffic): traffic is ArrivalRateTraffic {
  return traffic.executor === "constant-arrival-rate" || traffic.executor === "ramping-arrival-rate";
}

/** The segments of an arrival-rate traffic. The simulator's arrival times depend on this arithmetic: keep it. */
export function segmentsOf(traffic: ArrivalRateTraffic): Segment[] {
  const segments: Segment[] = [];
  if (traffic.executor === "constant-arrival-rate") {
    const r = traffic.rate / traffic.timeUnit;
    segments.push({ start: 0, end: traffic.duration, duration: traffic.duration, from: r, to: r, peak: r });
  } else {
    let t = 0;
    let from = traffic.startRate / traffic.timeUnit;
    for (const s of traffic.stages) {
      const to = s.target / traffic.timeUnit;
      segments.push({
        start: t,
        end: t + s.duration,
        duration: s.duration,
        from,
        to,
        peak: Math.max(from, to),
      });
      t += s.duration;
      from = to;
    }
  }
  return segments;
}

/** Total traffic duration in ms (excluding any drain). */
export function totalDuration(traffic: Traffic): number {
  switch (traffic.executor) {
    case "constant-arrival-rate":
    case "constant-vus":
      return traffic.duration;
    case "ramping-arrival-rate":
    case "ramping-vus":
      return traffic.stages.reduce((sum, s) => sum + s.duration, 0);
    case "replay":
      return replayShape(traffic).durationMs;
  }
}

function linearAt(
  start: number,
  stages: readonly { target: number; duration: number }[],
  tMs: number,
): number {
  let from = start;
  let t0 = 0;
  for (const s of stages) {
    if (tMs < t0 + s.duration) return from + ((s.target - from) * (tMs - t0)) / s.duration;
    from = s.target;
    t0 += s.duration;
  }
  return 0;
}

/**
 * Offered arrival rate (per second) at `tMs`; 0 outside the traffic. For VU executors it returns the
 * number of virtual users active at `tMs` (they are closed-model, so no rate is defined).
 */
export function rateAt(traffic: Traffic, tMs: number): number {
  if (tMs < 0) return 0;
  switch (traffic.executor) {
    case "constant-arrival-rate":
    case "ramping-arrival-rate": {
      const seg = segmentsOf(traffic).find((s) => tMs < s.end);
      if (seg === undefined) return 0;
      return (seg.from + ((seg.to - seg.from) * (tMs - seg.start)) / seg.duration) * 1000;
    }
    case "constant-vus":
      return tMs < traffic.duration ? traffic.vus : 0;
    case "ramping-vus":
      return linearAt(traffic.startVUs, traffic.stages, tMs);
    case "replay":
      return replayRateAt(traffic, tMs);
  }
}

/** A segment with the arrivals integrated before it and by its end. */
export interface IntegratedSegment extends Segment {
  before: number;
  after: number;
}

/** The running integral of the rate, segment by segment. */
export function integrate(segments: readonly Segment[]): IntegratedSegment[] {
  let done = 0;
  return segments.map((s) => {
    const after = done + (s.duration * (s.from + s.to)) / 2;
    const out = { ...s, before: done, after };
    done = after;
    return out;
  });
}

/** Expected arrivals in [0, tMs): the integral of the rate (arrival-rate executors, replay; 0 for VU executors). */
export function expectedArrivals(traffic: Traffic, tMs: number): number {
  if (traffic.executor === "replay") return replayArrivals(traffic, tMs);
  if (!isArrivalRate(traffic)) return 0;
  for (const s of integrate(segmentsOf(traffic))) {
    if (tMs < s.end) {
      if (tMs <= s.start) return s.before;
      const dt = tMs - s.start;
      const rate = s.from + ((s.to - s.from) * dt) / s.duration;
      return s.before + (dt * (s.from + rate)) / 2;
    }
  }
  const all = integrate(segmentsOf(traffic));
  return all.length === 0 ? 0 : all[all.length - 1]!.after;
}

// Integrals are sums of products of decimal rates and durations; they can miss an integer by an ulp.
export const INTEGRAL_EPS = 1e-9;

/**
 * The inverse of the integral: the time (ms) at which `n` arrivals (n > 0, at most the total) have been
 * integrated. Within a segment that is the root of a quadratic, computed in a form that stays exact when the
 * rate does not change. `segments` must have non-zero integrals (filter those that add nothing).
 */
export function timeOfArrival(segments: readonly IntegratedSegment[], n: number): number {
  // Binary search for the first segment whose cumulative count reaches n.
  let lo = 0;
  let hi = segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (segments[mid]!.after + INTEGRAL_EPS >= n) hi = mid;
    else lo = mid + 1;
  }
  const seg = segments[lo]!;
  const m = n - seg.before;
  const { from: a, to: b, duration: d } = seg;
  // a*t + (b-a)*t^2/(2d) = m, rationalised so that a === b and a === 0 need no special case.
  const disc = a * a + (2 * (b - a) * m) / d;
  const t = (2 * m) / (a + Math.sqrt(Math.max(0, disc)));
  return seg.start + Math.min(d, t);
}

/** The highest rate (per second) the traffic reaches (VU executors: the most VUs). */
export function peakRate(traffic: Traffic): number {
  switch (traffic.executor) {
    case "constant-arrival-rate":
    case "ramping-arrival-rate":
      return Math.max(0, ...segmentsOf(traffic).map((s) => s.peak)) * 1000;
    case "constant-vus":
      return traffic.vus;
    case "ramping-vus":
      return Math.max(traffic.startVUs, ...traffic.stages.map((s) => s.target));
    case "replay":
      return replayShape(traffic).peakRatePerSec;
  }
}
