// A scenario reduced to one constant arrival rate: what capacity probes, calibration steps and warm-ups run.
// Its own module (types only) so every workflow can use it without importing another workflow.
import type { Scenario } from "../scenarios/define.ts";

/** Milliseconds of a step the drain may add (orders in flight when the traffic ends). */
const STEP_DRAIN_MS = 5000;

/** The scenario at one constant arrival rate, without faults: the question is steady-state capacity. */
export function constantRateScenario(scenario: Scenario, rate: number, durationMs: number): Scenario {
  return {
    ...scenario,
    traffic: { executor: "constant-arrival-rate", rate, timeUnit: 1000, duration: durationMs },
    faults: [],
  };
}

/** The scenario reduced to one steady rate: no faults, no thresholds, no per-side overrides. */
export function steadyScenario(scenario: Scenario, rate: number, durationMs: number): Scenario {
  return {
    ...constantRateScenario(scenario, rate, durationMs),
    thresholds: {},
    drain: Math.min(scenario.drain, STEP_DRAIN_MS),
    compare: { ...scenario.compare, overrides: {} },
  };
}
