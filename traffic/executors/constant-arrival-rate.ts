// constant-arrival-rate (k6): `rate` iterations per `timeUnit`, for `duration`, evenly spaced and
// starting at 0 (iteration i at i * timeUnit / rate), whatever the server's latency.
import { segmentsOf } from "../profile.ts";
import type { ExecutorConfig } from "../schema.ts";
import { DEFAULT_GRACEFUL_STOP_MS, type OpenPlan } from "./types.ts";

export type ConstantArrivalRateConfig = Extract<ExecutorConfig, { executor: "constant-arrival-rate" }>;

/**
 * VU defaults for arrival-rate executors. k6 requires preAllocatedVUs; here a VU is only an in-flight
 * slot of an async gRPC call (cheap), so the default allows 5 s of backlog at the peak rate: a server
 * that stalls for seconds is measured, not hidden behind drops. Set maxVUs lower to study shedding.
 */
export function defaultVUs(peakRatePerSec: number): { preAllocatedVUs: number; maxVUs: number } {
  const maxVUs = Math.max(100, Math.ceil(peakRatePerSec * 5));
  return { preAllocatedVUs: Math.min(maxVUs, Math.max(10, Math.ceil(peakRatePerSec / 10))), maxVUs };
}

// Counts are computed from a product that may land a hair off an integer (0.1 * 30 = 3.0000000000000004).
const EPS = 1e-9;

export function plan(config: ConstantArrivalRateConfig): OpenPlan {
  const [segment] = segmentsOf(config);
  const rate = segment!.from;
  const duration = config.duration;
  const interval = 1 / rate;
  const peakRatePerSec = rate * 1000;
  const defaults = defaultVUs(peakRatePerSec);
  const preAllocatedVUs = config.preAllocatedVUs ?? defaults.preAllocatedVUs;
  return {
    model: "open",
    durationMs: duration,
    count: Math.max(0, Math.ceil(duration * rate - EPS)),
    startTimeMs: (i) => i * interval,
    peakRatePerSec,
    preAllocatedVUs,
    maxVUs: config.maxVUs ?? Math.max(preAllocatedVUs, defaults.maxVUs),
    gracefulStopMs: config.gracefulStop ?? DEFAULT_GRACEFUL_STOP_MS,
  };
}
