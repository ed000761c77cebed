// constant-vus (k6): `vus` VUs loop iterations back to back for `duration`. A closed model: the
// server's latency slows the arrival rate, so it cannot show queueing collapse; it is here for k6
// parity and for "N concurrent shoppers" questions.
import { checkDuration, checkInt, type DurationInput, durationMs } from "../duration.ts";
import { type ClosedPlan, DEFAULT_GRACEFUL_STOP } from "./types.ts";

export interface ConstantVusConfig {
  executor: "constant-vus";
  /** Default 1. */
  vus?: number;
  duration: DurationInput;
  gracefulStop?: DurationInput;
}

export function validate(config: ConstantVusConfig, path = ""): string[] {
  const errors: string[] = [];
  if (config.vus !== undefined) checkInt(errors, `${path}vus`, config.vus, 1);
  checkDuration(errors, `${path}duration`, config.duration);
  if (config.gracefulStop !== undefined) {
    checkDuration(errors, `${path}gracefulStop`, config.gracefulStop, { positive: false });
  }
  return errors;
}

export function plan(config: ConstantVusConfig): ClosedPlan {
  const vus = config.vus ?? 1;
  return {
    model: "closed",
    durationMs: durationMs(config.duration),
    steps: [{ atMs: 0, vus }],
    maxVUs: vus,
    gracefulStopMs: durationMs(config.gracefulStop ?? DEFAULT_GRACEFUL_STOP),
  };
}
