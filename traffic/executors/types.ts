// What every executor hands the runtime: a plan. Arrival-rate executors give an open-model plan
// (exact intended start times, a pure function of the iteration index); VU executors give a
// closed-model plan (how many looping VUs are active at each moment). A replay is an open plan whose
// iterations also carry the log's order (SKU, tier). Configs (traffic/schema.ts) are plain
// data so that they cross into worker threads; each thread rebuilds the plan from the config.

import type { ReplayOrder } from "../replay/timeline.ts";

export interface OpenPlan {
  model: "open";
  /** How long new iterations are started, ms. */
  durationMs: number;
  /** Iterations in the whole run. */
  count: number;
  /** Intended start of iteration `i` (0-based, ascending in i), ms from the run's start. */
  startTimeMs(i: number): number;
  /** Replay only: iteration i's order from the log (call with non-decreasing i, like startTimeMs). */
  order?(i: number): ReplayOrder;
  /** Highest rate reached, iterations per second (sizes workers). */
  peakRatePerSec: number;
  preAllocatedVUs: number;
  /** In-flight bound: an iteration due when this many are running is dropped, never delayed. */
  maxVUs: number;
  /** How long iterations still running at the end may finish, ms. */
  gracefulStopMs: number;
}

/** From `atMs` on, `vus` VUs are active (until the next step). */
export interface VuStep {
  atMs: number;
  vus: number;
}

export interface ClosedPlan {
  model: "closed";
  durationMs: number;
  /** Ascending in time; the first is at 0. */
  steps: VuStep[];
  maxVUs: number;
  gracefulStopMs: number;
}

export type Plan = OpenPlan | ClosedPlan;

/** Active VUs at `tMs` for a closed plan (0 after the end). */
export function vusAt(plan: ClosedPlan, tMs: number): number {
  if (tMs >= plan.durationMs) return 0;
  let vus = 0;
  for (const step of plan.steps) {
    if (step.atMs > tMs) break;
    vus = step.vus;
  }
  return vus;
}

/** k6's default gracefulStop, ms. */
export const DEFAULT_GRACEFUL_STOP_MS = 30_000;
