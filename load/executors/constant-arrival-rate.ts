// constant-arrival-rate (k6): `rate` iterations per `timeUnit`, for `duration`, evenly spaced and
// starting at 0 (iteration i at i * timeUnit / rate), whatever the server's latency.
import { checkDuration, checkInt, checkNumber, type DurationInput, durationMs } from "../duration.ts";
import { DEFAULT_GRACEFUL_STOP, type OpenPlan } from "./types.ts";

export interface ConstantArrivalRateConfig {
  executor: "constant-arrival-rate";
  /** Iterations per timeUnit. */
  rate: number;
  /** Default "1s". */
  timeUnit?: DurationInput;
  duration: DurationInput;
  /** Default: see defaultVUs. */
  preAllocatedVUs?: number;
  /** Default: see defaultVUs. */
  maxVUs?: number;
  /** Default "30s". */
  gracefulStop?: DurationInput;
}

/**
 * VU defaults for arrival-rate executors. k6 requires preAllocatedVUs; here a VU is only an in-flight
 * slot of an async gRPC call (cheap), so the default allows 5 s of backlog at the peak rate: a server
 * that stalls for seconds is measured, not hidden behind drops. Set maxVUs lower to study shedding.
 */
export function defaultVUs(peakRatePerSec: number): { preAllocatedVUs: number; maxVUs: number } {
  const maxVUs = Math.max(100, Math.ceil(peakRatePerSec * 5));
  return { preAllocatedVUs: Math.min(maxVUs, Math.max(10, Math.ceil(peakRatePerSec / 10))), maxVUs };
}

/** Every error in `config`, each as "path: message" (empty when valid). */
export function validate(config: ConstantArrivalRateConfig, path = ""): string[] {
  const errors: string[] = [];
  checkNumber(errors, `${path}rate`, config.rate, 0);
  if (typeof config.rate === "number" && config.rate === 0) errors.push(`${path}rate: must be > 0`);
  if (config.timeUnit !== undefined) checkDuration(errors, `${path}timeUnit`, config.timeUnit);
  checkDuration(errors, `${path}duration`, config.duration);
  checkVUs(errors, path, config.preAllocatedVUs, config.maxVUs);
  if (config.gracefulStop !== undefined) {
    checkDuration(errors, `${path}gracefulStop`, config.gracefulStop, { positive: false });
  }
  return errors;
}

/** Shared by both arrival-rate executors. */
export function checkVUs(errors: string[], path: string, pre: unknown, max: unknown): void {
  if (pre !== undefined) checkInt(errors, `${path}preAllocatedVUs`, pre, 1);
  if (max !== undefined) checkInt(errors, `${path}maxVUs`, max, 1);
  if (typeof pre === "number" && typeof max === "number" && max < pre) {
    errors.push(`${path}maxVUs: must be >= preAllocatedVUs (${pre}), got ${max}`);
  }
}

/** Iterations per millisecond. */
function perMs(rate: number, timeUnit: DurationInput | undefined): number {
  return rate / durationMs(timeUnit ?? "1s");
}

// Counts are computed from a product that may land a hair off an integer (0.1 * 30 = 3.0000000000000004).
const EPS = 1e-9;

export function plan(config: ConstantArrivalRateConfig): OpenPlan {
  const rate = perMs(config.rate, config.timeUnit);
  const duration = durationMs(config.duration);
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
    gracefulStopMs: durationMs(config.gracefulStop ?? DEFAULT_GRACEFUL_STOP),
  };
}
