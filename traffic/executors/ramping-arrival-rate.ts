// ramping-arrival-rate (k6): the rate moves linearly from startRate through each stage's target.
// Iteration n (1-based, as in k6) starts when the integrated rate reaches n: the inverse of the rate
// profile's integral (traffic/profile.ts).
import { INTEGRAL_EPS, integrate, peakRate, segmentsOf, timeOfArrival } from "../profile.ts";
import type { ExecutorConfig } from "../schema.ts";
import { defaultVUs } from "./constant-arrival-rate.ts";
import { DEFAULT_GRACEFUL_STOP_MS, type OpenPlan } from "./types.ts";

export type RampingArrivalRateConfig = Extract<ExecutorConfig, { executor: "ramping-arrival-rate" }>;

export function plan(config: RampingArrivalRateConfig): OpenPlan {
  const all = integrate(segmentsOf(config));
  const segs = all.filter((s) => s.after - s.before > 0);
  const last = all[all.length - 1];
  const total = last ? last.after : 0;
  const peakRatePerSec = peakRate(config);
  const defaults = defaultVUs(peakRatePerSec);
  const preAllocatedVUs = config.preAllocatedVUs ?? defaults.preAllocatedVUs;
  return {
    model: "open",
    durationMs: last ? last.start + last.duration : 0,
    count: Math.max(0, Math.floor(total + INTEGRAL_EPS)),
    startTimeMs: (i: number) => timeOfArrival(segs, i + 1),
    peakRatePerSec,
    preAllocatedVUs,
    maxVUs: config.maxVUs ?? Math.max(preAllocatedVUs, defaults.maxVUs),
    gracefulStopMs: config.gracefulStop ?? DEFAULT_GRACEFUL_STOP_MS,
  };
}
