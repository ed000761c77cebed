// ramping-vus (k6): the number of looping VUs moves linearly from startVUs through each stage's
// target. The count changes one VU at a time, at exact moments: going from a to b over d, the
// k-th change happens at d * k / |b - a| into the stage.
import { totalDuration } from "../profile.ts";
import type { ExecutorConfig } from "../schema.ts";
import { type ClosedPlan, DEFAULT_GRACEFUL_STOP_MS, type VuStep } from "./types.ts";

export type RampingVusConfig = Extract<ExecutorConfig, { executor: "ramping-vus" }>;

/** Exact VU-count changes, ascending; consecutive steps always differ. */
export function steps(config: RampingVusConfig): VuStep[] {
  let vus = config.startVUs;
  const out: VuStep[] = [{ atMs: 0, vus }];
  let startMs = 0;
  for (const stage of config.stages) {
    const d = stage.duration;
    const diff = stage.target - vus;
    const n = Math.abs(diff);
    for (let k = 1; k <= n; k++) {
      const atMs = d === 0 ? startMs : startMs + (d * k) / n;
      const step = { atMs, vus: vus + Math.sign(diff) * k };
      const last = out[out.length - 1] as VuStep;
      if (last.atMs === atMs) out[out.length - 1] = step;
      else out.push(step);
    }
    vus = stage.target;
    startMs += d;
  }
  return out;
}

export function plan(config: RampingVusConfig): ClosedPlan {
  const s = steps(config);
  return {
    model: "closed",
    durationMs: totalDuration(config),
    steps: s,
    maxVUs: Math.max(...s.map((x) => x.vus)),
    gracefulStopMs: config.gracefulStop ?? DEFAULT_GRACEFUL_STOP_MS,
  };
}
