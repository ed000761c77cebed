// ramping-arrival-rate (k6): the rate moves linearly from startRate through each stage's target.
// Iteration n (1-based, as in k6) starts when the integrated rate reaches n; within a stage that
// is the root of a quadratic, computed in a form that stays exact when the rate does not change.
import { checkDuration, checkNumber, type DurationInput, durationMs } from "../duration.ts";
import { checkVUs, defaultVUs } from "./constant-arrival-rate.ts";
import { DEFAULT_GRACEFUL_STOP, type OpenPlan, type Stage } from "./types.ts";

export interface RampingArrivalRateConfig {
  executor: "ramping-arrival-rate";
  /** Iterations per timeUnit at time 0. Default 0. */
  startRate?: number;
  /** Default "1s". */
  timeUnit?: DurationInput;
  stages: Stage[];
  preAllocatedVUs?: number;
  maxVUs?: number;
  gracefulStop?: DurationInput;
}

export function validate(config: RampingArrivalRateConfig, path = ""): string[] {
  const errors: string[] = [];
  if (config.startRate !== undefined) checkNumber(errors, `${path}startRate`, config.startRate, 0);
  if (config.timeUnit !== undefined) checkDuration(errors, `${path}timeUnit`, config.timeUnit);
  if (!Array.isArray(config.stages) || config.stages.length === 0) {
    errors.push(`${path}stages: must be a non-empty list of {target, duration}`);
  } else {
    config.stages.forEach((stage, i) => {
      checkNumber(errors, `${path}stages[${i}].target`, stage?.target, 0);
      checkDuration(errors, `${path}stages[${i}].duration`, stage?.duration, { positive: false });
    });
    const total = config.stages.reduce((s, st) => s + (Number(durationMsOrNaN(st?.duration)) || 0), 0);
    if (total <= 0) errors.push(`${path}stages: total duration must be > 0`);
  }
  checkVUs(errors, path, config.preAllocatedVUs, config.maxVUs);
  if (config.gracefulStop !== undefined) {
    checkDuration(errors, `${path}gracefulStop`, config.gracefulStop, { positive: false });
  }
  return errors;
}

function durationMsOrNaN(d: unknown): number {
  try {
    return durationMs(d as DurationInput);
  } catch {
    return Number.NaN;
  }
}

interface Segment {
  startMs: number;
  durMs: number;
  /** Rates at both ends, iterations per ms. */
  from: number;
  to: number;
  /** Iterations integrated before this segment. */
  before: number;
  /** Iterations integrated by its end. */
  after: number;
}

// Integrals are sums of products of decimal rates and durations; they can miss an integer by an ulp.
const EPS = 1e-9;

function segments(config: RampingArrivalRateConfig): Segment[] {
  const unit = durationMs(config.timeUnit ?? "1s");
  const out: Segment[] = [];
  let from = (config.startRate ?? 0) / unit;
  let startMs = 0;
  let done = 0;
  for (const stage of config.stages) {
    const durMs = durationMs(stage.duration);
    const to = stage.target / unit;
    const after = done + (durMs * (from + to)) / 2;
    out.push({ startMs, durMs, from, to, before: done, after });
    done = after;
    from = to;
    startMs += durMs;
  }
  return out;
}

/** The time t in [0, durMs] at which a segment has integrated `n` iterations (0 < n <= its total). */
function solve(seg: Segment, n: number): number {
  const { from: a, to: b, durMs: d } = seg;
  // a*t + (b-a)*t^2/(2d) = n, rationalised so that a === b and a === 0 need no special case.
  const disc = a * a + (2 * (b - a) * n) / d;
  const t = (2 * n) / (a + Math.sqrt(Math.max(0, disc)));
  return Math.min(d, t);
}

/** Rate in iterations per second at `tMs` (the linear interpolation k6 uses). */
export function rateAt(config: RampingArrivalRateConfig, tMs: number): number {
  for (const seg of segments(config)) {
    if (tMs < seg.startMs + seg.durMs) {
      const f = seg.durMs === 0 ? 1 : (tMs - seg.startMs) / seg.durMs;
      return (seg.from + (seg.to - seg.from) * f) * 1000;
    }
  }
  return 0;
}

export function plan(config: RampingArrivalRateConfig): OpenPlan {
  const segs = segments(config).filter((s) => s.after - s.before > 0);
  const all = segments(config);
  const last = all[all.length - 1];
  const durationMs_ = last ? last.startMs + last.durMs : 0;
  const total = last ? last.after : 0;
  const peakRatePerSec =
    Math.max((config.startRate ?? 0) / durationMs(config.timeUnit ?? "1s"), ...all.map((s) => s.to)) * 1000;
  const defaults = defaultVUs(peakRatePerSec);
  const preAllocatedVUs = config.preAllocatedVUs ?? defaults.preAllocatedVUs;
  return {
    model: "open",
    durationMs: durationMs_,
    count: Math.max(0, Math.floor(total + EPS)),
    startTimeMs(i: number): number {
      const n = i + 1;
      // Binary search for the first segment whose cumulative count reaches n.
      let lo = 0;
      let hi = segs.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((segs[mid] as Segment).after + EPS >= n) hi = mid;
        else lo = mid + 1;
      }
      const seg = segs[lo] as Segment;
      return seg.startMs + solve(seg, n - seg.before);
    },
    peakRatePerSec,
    preAllocatedVUs,
    maxVUs: config.maxVUs ?? Math.max(preAllocatedVUs, defaults.maxVUs),
    gracefulStopMs: durationMs(config.gracefulStop ?? DEFAULT_GRACEFUL_STOP),
  };
}
