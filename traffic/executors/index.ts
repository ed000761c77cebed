// The executor registry: planning by the config's `executor` name. Configs are validated by the schema
// (traffic/schema.ts); a plan is built from the validated config (ms everywhere, defaults filled).
import { type ExecutorConfig, type ExecutorInput, parseExecutor } from "../schema.ts";
import * as constantArrivalRate from "./constant-arrival-rate.ts";
import * as constantVus from "./constant-vus.ts";
import * as rampingArrivalRate from "./ramping-arrival-rate.ts";
import * as rampingVus from "./ramping-vus.ts";
import * as replay from "./replay.ts";
import type { Plan } from "./types.ts";

export type { ExecutorConfig, ExecutorInput } from "../schema.ts";
export { validateExecutor } from "../schema.ts";
export type { ConstantArrivalRateConfig } from "./constant-arrival-rate.ts";
export type { ConstantVusConfig } from "./constant-vus.ts";
export type { RampingArrivalRateConfig } from "./ramping-arrival-rate.ts";
export type { RampingVusConfig } from "./ramping-vus.ts";
export type { ReplayConfig } from "./replay.ts";
export type { ClosedPlan, OpenPlan, Plan, VuStep } from "./types.ts";
export { vusAt } from "./types.ts";

export const EXECUTORS = [
  "constant-arrival-rate",
  "ramping-arrival-rate",
  "constant-vus",
  "ramping-vus",
  "replay",
] as const;

/** The runtime plan of a config (validated here: throws listing every problem of an invalid one). */
export function planFor(input: ExecutorInput): Plan {
  const config = parseExecutor(input);
  switch (config.executor) {
    case "constant-arrival-rate":
      return constantArrivalRate.plan(config);
    case "ramping-arrival-rate":
      return rampingArrivalRate.plan(config);
    case "constant-vus":
      return constantVus.plan(config);
    case "ramping-vus":
      return rampingVus.plan(config);
    case "replay":
      return replay.plan(config);
  }
}

/** The validated config with every duration (stages, duration; a replay's times) multiplied by `factor`. */
export function scaleExecutor(input: ExecutorInput, factor: number): ExecutorConfig {
  const config = parseExecutor(input);
  switch (config.executor) {
    case "constant-arrival-rate":
      return { ...config, duration: config.duration * factor };
    case "constant-vus":
      return { ...config, duration: config.duration * factor };
    case "ramping-arrival-rate":
      return { ...config, stages: config.stages.map((s) => ({ ...s, duration: s.duration * factor })) };
    case "ramping-vus":
      return { ...config, stages: config.stages.map((s) => ({ ...s, duration: s.duration * factor })) };
    case "replay":
      return { ...config, timeScale: config.timeScale * factor };
  }
}
