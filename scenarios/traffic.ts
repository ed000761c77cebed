// Pure arrival-rate maths over a scenario's traffic (k6 semantics): a ramping-arrival-rate moves
// linearly from the previous target (startRate first) to each stage's target over the stage's
// duration. Rates are per second; times are milliseconds from the start of the traffic.
import type { Traffic } from "./schema.ts";

/** Total traffic duration in ms (excluding any drain). */
export function totalDuration(traffic: Traffic): number {
  switch (traffic.executor) {
    case "constant-arrival-rate":
    case "constant-vus":
      return traffic.duration;
    case "ramping-arrival-rate":
    case "ramping-vus":
      return traffic.stages.reduce((sum, s) => sum + s.duration, 0);
  }
}

/**
 * Offered arrival rate (per second) at `tMs`; 0 outside the traffic. For VU executors it returns the
 * number of virtual users active at `tMs` (they are closed-model, so no rate is defined).
 */
export function rateAt(traffic: Traffic, tMs: number): number {
  if (tMs < 0) return 0;
  switch (traffic.executor) {
    case "constant-arrival-rate":
      return tMs < traffic.duration ? (traffic.rate * 1000) / traffic.timeUnit : 0;
    case "constant-vus":
      return tMs < traffic.duration ? traffic.vus : 0;
    case "ramping-arrival-rate":
      return (rampAt(traffic.startRate, traffic.stages, tMs) * 1000) / traffic.timeUnit;
    case "ramping-vus":
      return rampAt(traffic.startVUs, traffic.stages, tMs);
  }
}

function rampAt(start: number, stages: readonly { target: number; duration: number }[], tMs: number): number {
  let from = start;
  let t0 = 0;
  for (const s of stages) {
    if (tMs < t0 + s.duration) return from + ((s.target - from) * (tMs - t0)) / s.duration;
    from = s.target;
    t0 += s.duration;
  }
  return 0;
}

/** Expected arrivals in [0, tMs): the integral of the rate (arrival-rate executors; per-second rates). */
export function expectedArrivals(traffic: Traffic, tMs: number): number {
  const t = Math.max(0, Math.min(tMs, totalDuration(traffic)));
  switch (traffic.executor) {
    case "constant-arrival-rate":
      return (traffic.rate / traffic.timeUnit) * t;
    case "ramping-arrival-rate": {
      let from = traffic.startRate;
      let t0 = 0;
      let sum = 0;
      for (const s of traffic.stages) {
        const end = Math.min(t, t0 + s.duration);
        if (end > t0) {
          const to = from + ((s.target - from) * (end - t0)) / s.duration;
          sum += ((from + to) / 2) * (end - t0);
        }
        from = s.target;
        t0 += s.duration;
        if (t0 >= t) break;
      }
      return sum / traffic.timeUnit;
    }
    default:
      return 0;
  }
}

/** The highest rate (per second) the traffic reaches. */
export function peakRate(traffic: Traffic): number {
  switch (traffic.executor) {
    case "constant-arrival-rate":
      return (traffic.rate * 1000) / traffic.timeUnit;
    case "constant-vus":
      return traffic.vus;
    case "ramping-arrival-rate":
      return (Math.max(traffic.startRate, ...traffic.stages.map((s) => s.target)) * 1000) / traffic.timeUnit;
    case "ramping-vus":
      return Math.max(traffic.startVUs, ...traffic.stages.map((s) => s.target));
  }
}
