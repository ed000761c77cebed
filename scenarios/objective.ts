// A scenario's service objective (its `objective` block) and the per-day basis of its business rows: the
// orders a day at the scenario's traffic. results/business.ts counts; this file knows the scenario.
import type { PerDayBasis, ServiceObjective } from "../results/business.ts";
import type { RunResult } from "../results/run-result.ts";
import { expectedArrivals, totalDuration } from "../traffic/profile.ts";
import type { Scenario } from "./define.ts";
import { loadDemandHistory } from "./demand.ts";
import type { Traffic } from "./schema.ts";

const MS_PER_DAY = 86_400_000;
const MINUTES_PER_DAY = 1440;

export function objectiveOf(scenario: Scenario): ServiceObjective {
  const o = scenario.objective;
  return {
    latencyMs: o.latency,
    patienceMs: { standard: o.patience.standard, vip: o.patience.vip },
    incidentRecoveryMs: o.incidentRecovery,
  };
}

/** Mean arrival rate of a traffic profile, orders/ms (0 for VU executors, whose rate is not planned). */
function meanRatePerMs(traffic: Traffic): number {
  const ms = totalDuration(traffic);
  return ms > 0 ? expectedArrivals(traffic, ms) / ms : 0;
}

/**
 * Orders a day at one side's traffic: with a demand history, its mean orders per day, scaled by this side's
 * mean rate over the scenario's own when compare.overrides gives the side other traffic (seed-replay's
 * "before" carries the old, smaller demand); without one, the side's mean rate x 24 h. `measuredPerMs`
 * (submitted orders per ms of traffic) stands in for VU traffic, whose rate is not planned. `own` is the
 * side's traffic (scenarios/arms.ts armInputs).
 */
export function perDayBasis(scenario: Scenario, own: Traffic, measuredPerMs = 0): PerDayBasis {
  const sideRate = meanRatePerMs(own) || measuredPerMs;
  if (scenario.demandHistory !== undefined) {
    const history = loadDemandHistory(scenario.demandHistory, scenario.seed, scenario.file);
    const days = history.length / MINUTES_PER_DAY;
    const daily = days > 0 ? history.reduce((a, b) => a + b, 0) / days : 0;
    const scenarioRate = meanRatePerMs(scenario.traffic);
    const scale = own === scenario.traffic || scenarioRate === 0 ? 1 : sideRate / scenarioRate;
    const ordersPerDay = Math.round(daily * scale);
    return {
      ordersPerDay,
      basis:
        scale === 1
          ? `demand history: ${ordersPerDay.toLocaleString("en-US")} orders/day (mean of ${+days.toFixed(2)} days)`
          : `demand history: ${Math.round(daily).toLocaleString("en-US")} orders/day x ${+scale.toFixed(4)} ` +
            `(this side's mean rate over the scenario's)`,
    };
  }
  const ordersPerDay = Math.round(sideRate * MS_PER_DAY);
  return {
    ordersPerDay,
    basis: `mean rate ${+(sideRate * 1000).toFixed(2)}/s x 24 h = ${ordersPerDay.toLocaleString("en-US")} orders/day`,
  };
}

/** The RunResult's `business` block for one side of a scenario. */
export function businessBlock(scenario: Scenario, day: PerDayBasis): NonNullable<RunResult["business"]> {
  return { objective: objectiveOf(scenario), ordersPerDay: day.ordersPerDay, perDayBasis: day.basis };
}
