// The executor registry: validation and planning by the config's `executor` name.
import { durationMs } from "../duration.ts";
import * as constantArrivalRate from "./constant-arrival-rate.ts";
import * as constantVus from "./constant-vus.ts";
import * as rampingArrivalRate from "./ramping-arrival-rate.ts";
import * as rampingVus from "./ramping-vus.ts";
import type { Plan } from "./types.ts";

export type { ConstantArrivalRateConfig } from "./constant-arrival-rate.ts";
export type { ConstantVusConfig } from "./constant-vus.ts";
export type { RampingArrivalRateConfig } from "./ramping-arrival-rate.ts";
export type { RampingVusConfig } from "./ramping-vus.ts";
export type { ClosedPlan, OpenPlan, Plan, Stage, VuStep } from "./types.ts";
export { vusAt } from "./types.ts";

export type ExecutorConfig =
  | constantArrivalRate.ConstantArrivalRateConfig
  | rampingArrivalRate.RampingArrivalRateConfig
  | constantVus.ConstantVusConfig
  | rampingVus.RampingVusConfig;

export const EXECUTORS = [
  "constant-arrival-rate",
  "ramping-arrival-rate",
  "constant-vus",
  "ramping-vus",
] as const;

/** Every error in an executor config, as "path: message"; empty when valid. */
export function validateExecutor(config: unknown, path = ""): string[] {
  if (typeof config !== "object" || config === null) return [`${path || "executor"}: must be an object`];
  const c = config as ExecutorConfig;
  switch (c.executor) {
    case "constant-arrival-rate":
      return constantArrivalRate.validate(c, path);
    case "ramping-arrival-rate":
      return rampingArrivalRate.validate(c, path);
    case "constant-vus":
      return constantVus.validate(c, path);
    case "ramping-vus":
      return rampingVus.validate(c, path);
    default:
      return [
        `${path}executor: must be one of ${EXECUTORS.join(", ")}, got ${JSON.stringify((config as { executor?: unknown }).executor)}`,
      ];
  }
}

/** The runtime plan of a valid config (throws on an invalid one: validate first). */
export function planFor(config: ExecutorConfig): Plan {
  const errors = validateExecutor(config);
  if (errors.length > 0) throw new Error(`invalid executor config: ${errors.join("; ")}`);
  switch (config.executor) {
    case "constant-arrival-rate":
      return constantArrivalRate.plan(config);
    case "ramping-arrival-rate":
      return rampingArrivalRate.plan(config);
    case "constant-vus":
      return constantVus.plan(config);
    case "ramping-vus":
      return rampingVus.plan(config);
  }
}

/** The same config with every duration (stages, duration) multiplied by `factor`. */
export function scaleExecutor<C extends ExecutorConfig>(config: C, factor: number): C {
  const scale = (d: number | string) => durationMsScaled(d, factor);
  const out = { ...config } as C & {
    duration?: number | string;
    stages?: { target: number; duration: number | string }[];
  };
  if ("duration" in config && config.duration !== undefined) out.duration = scale(config.duration);
  if ("stages" in config && Array.isArray(config.stages)) {
    out.stages = config.stages.map((s) => ({ ...s, duration: scale(s.duration) }));
  }
  return out;
}

function durationMsScaled(d: number | string, factor: number): number {
  return durationMs(d) * factor;
}
