// ramping-vus (k6): the number of looping VUs moves linearly from startVUs through each stage's
// target. The count changes one VU at a time, at exact moments: going from a to b over d, the
// k-th change happens at d * k / |b - a| into the stage.
import { checkDuration, checkInt, type DurationInput, durationMs } from "../duration.ts";
import { type ClosedPlan, DEFAULT_GRACEFUL_STOP, type Stage, type VuStep } from "./types.ts";

export interface RampingVusConfig {
  executor: "ramping-vus";
  /** Default 1. */
  startVUs?: number;
  stages: Stage[];
  gracefulStop?: DurationInput;
}

export function validate(config: RampingVusConfig, path = ""): string[] {
  const errors: string[] = [];
  if (config.startVUs !== undefined) checkInt(errors, `${path}startVUs`, config.startVUs, 0);
  if (!Array.isArray(config.stages) || config.stages.length === 0) {
    errors.push(`${path}stages: must be a non-empty list of {target, duration}`);
  } else {
    let total = 0;
    config.stages.forEach((stage, i) => {
      checkInt(errors, `${path}stages[${i}].target`, stage?.target, 0);
      const ms = checkDuration(errors, `${path}stages[${i}].duration`, stage?.duration, { positive: false });
      if (Number.isFinite(ms)) total += ms;
    });
    if (total <= 0 && errors.length === 0) errors.push(`${path}stages: total duration must be > 0`);
  }
  if (config.gracefulStop !== undefined) {
    checkDuration(errors, `${path}gracefulStop`, config.gracefulStop, { positive: false });
  }
  return errors;
}

/** Exact VU-count changes, ascending; consecutive steps always differ. */
export function steps(config: RampingVusConfig): VuStep[] {
  let vus = config.startVUs ?? 1;
  const out: VuStep[] = [{ atMs: 0, vus }];
  let startMs = 0;
  for (const stage of config.stages) {
    const d = durationMs(stage.duration);
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
    durationMs: config.stages.reduce((t, st) => t + durationMs(st.duration), 0),
    steps: s,
    maxVUs: Math.max(...s.map((x) => x.vus)),
    gracefulStopMs: durationMs(config.gracefulStop ?? DEFAULT_GRACEFUL_STOP),
  };
}
