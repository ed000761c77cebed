// The business rows of a real simulation: a shortened provider-outage whose outage outlives a 5 s incident
// allowance, with a 150 ms objective so part of the traffic misses it. The windows add up to the whole run,
// the incident becomes a manual intervention, and the per-day figures follow the orders a day.
import { describe, expect, it } from "vitest";
import { validateScenario } from "../../scenarios/define.ts";
import outage from "../../scenarios/provider-outage.ts";
import type { ScenarioDefinition } from "../../scenarios/schema.ts";
import { presetConfig } from "../../server/core/config.ts";
import { simulate } from "../../simulator/runner.ts";

const legacy = { name: "legacy", role: "baseline" as const, config: presetConfig("legacy")! };
const adaptive = { name: "adaptive", role: "candidate" as const, config: presetConfig("adaptive")! };

describe("business rows in a simulated RunResult", () => {
  const short: ScenarioDefinition = {
    ...outage,
    traffic: { executor: "constant-arrival-rate", rate: 400, duration: "30s" },
    faults: [{ at: "5s", provider: "p1", kind: "timeout", duration: "20s" }],
    drain: "10s",
    objective: { latency: "150ms", incidentRecovery: "5s" },
  };
  const scenario = validateScenario(short);
  const [base, cand] = simulate(scenario, { arms: [legacy, adaptive], replications: 1 });

  it("per-window counts add up to the whole run's", () => {
    for (const r of [base!, cand!]) {
      const sum = (f: (w: (typeof r.series)[number]) => number | undefined) =>
        r.series.reduce((a, w) => a + (f(w) ?? Number.NaN), 0);
      expect(
        sum((w) => w.onTime),
        r.config.name,
      ).toBe(r.counters.onTime);
      expect(
        sum((w) => w.interventions),
        r.config.name,
      ).toBe(r.counters.interventions);
      expect(
        sum((w) => w.complaintRisk),
        r.config.name,
      ).toBe(r.counters.complaintRisk);
      // Some orders missed the 150 ms objective, so goodput is below raw deliveries.
      expect(r.counters.onTime!).toBeLessThan(r.counters.delivered);
      expect(r.summary.goodputMean!.mean).toBeCloseTo(r.counters.onTime! / 30, 3);
    }
  });

  it("an outage that outlives the incident allowance is a manual intervention for adaptive", () => {
    // adaptive isolates p1 at once; p1 times out for 20 s, so the incident is open past its 5 s.
    expect(cand!.counters.unrecoveredIncidents).toBeGreaterThanOrEqual(1);
    expect(cand!.counters.interventions).toBe(
      cand!.counters.failed + cand!.counters.review! + cand!.counters.unrecoveredIncidents!,
    );
    // legacy has no health tracking, so no incident; its timeouts end in failures and slow deliveries.
    expect(base!.counters.unrecoveredIncidents).toBe(0);
    expect(base!.counters.complaintRisk!).toBeGreaterThan(cand!.counters.complaintRisk!);
  });

  it("scales the counts to a day at the scenario's mean rate", () => {
    expect(cand!.business).toMatchObject({ ordersPerDay: 400 * 86_400 });
    const point = cand!.perReplication[0]!.summary;
    const submitted = cand!.counters.submitted;
    expect(point.interventionsPerDay).toBeCloseTo((point.interventions! * 400 * 86_400) / submitted, 2);
    expect(point.complaintRiskPerDay).toBeCloseTo((point.complaintRisk! * 400 * 86_400) / submitted, 2);
  });
});
