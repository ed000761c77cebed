// constant-vus (k6): `vus` VUs loop iterations back to back for `duration`. A closed model: the
// server's latency slows the arrival rate, so it cannot show queueing collapse; it is here for k6
// parity and for "N concurrent shoppers" questions.
import type { ExecutorConfig } from "../schema.ts";
import { type ClosedPlan, DEFAULT_GRACEFUL_STOP_MS } from "./types.ts";

export type ConstantVusConfig = Extract<ExecutorConfig, { executor: "constant-vus" }>;

export function plan(config: ConstantVusConfig): ClosedPlan {
  return {
    model: "closed",
    durationMs: config.duration,
    steps: [{ atMs: 0, vus: config.vus }],
    maxVUs: config.vus,
    gracefulStopMs: config.gracefulStop ?? DEFAULT_GRACEFUL_STOP_MS,
  };
}
