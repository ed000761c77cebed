// The shipped scenarios tell the story they were written for. Scaled-down copies keep the test short
// (the stages and fault times are shortened, rates and capacities stay as written).
import { describe, expect, it } from "vitest";
import { pairedDifferenceCi } from "../../results/intervals.ts";
import { validateScenario } from "../../scenarios/define.ts";
import promo from "../../scenarios/promo-peak.ts";
import outage from "../../scenarios/provider-outage.ts";
import type { ScenarioDefinition } from "../../scenarios/schema.ts";
import { presetConfig } from "../../server/core/config.ts";
import { simulate } from "../../simulator/runner.ts";

const legacy = { name: "legacy", role: "baseline" as const, config: presetConfig("legacy")! };
const adaptive = { name: "adaptive", role: "candidate" as const, config: presetConfig("adaptive")! };

describe("promo-peak", () => {
  it("adaptive has a lower P99 than legacy, with a paired 95% CI excluding zero", () => {
    const short: ScenarioDefinition = {
      ...promo,
      traffic: {
        executor: "ramping-arrival-rate",
        startRate: 100,
        stages: [
          { target: 1500, duration: "20s" },
          { target: 1500, duration: "20s" },
          { target: 300, duration: "10s" },
        ],
      },
      faults: [
        { at: "15s", provider: "p2", kind: "latency", latencyMs: "800ms", duration: "10s" },
        { at: "25s", provider: "p2", kind: "timeout", probability: 0.8, duration: "15s" },
      ],
      drain: "30s",
    };
    const scenario = validateScenario(short);
    const [base, cand] = simulate(scenario, { arms: [legacy, adaptive], replications: 3 });
    const b = base!.perReplication.map((r) => r.summary.p99);
    const c = cand!.perReplication.map((r) => r.summary.p99);
    const diff = pairedDifferenceCi(b, c);
    expect(diff.hi).toBeLessThan(0);
    // Legacy's P99 blows up to seconds; adaptive stays well under the 2 s objective.
    expect(base!.summary.p99.mean).toBeGreaterThan(2000);
    expect(cand!.summary.p99.mean).toBeLessThan(2000);
    expect(cand!.thresholds.every((t) => t.pass)).toBe(true);
    expect(base!.thresholds.find((t) => t.expression === "p(99)<2000")?.pass).toBe(false);
    expect(base!.counters.duplicateCards + cand!.counters.duplicateCards).toBe(0);
  });
});

describe("provider-outage", () => {
  it("isolates the faulty provider during the outage and readmits it afterwards (provider-state series)", () => {
    const short: ScenarioDefinition = {
      ...outage,
      traffic: {
        executor: "ramping-arrival-rate",
        startRate: 200,
        stages: [
          { target: 800, duration: "5s" },
          { target: 800, duration: "70s" },
        ],
      },
      faults: [{ at: "10s", provider: "p1", kind: "timeout", duration: "20s" }],
      drain: "5s",
    };
    const scenario = validateScenario(short);
    const [run] = simulate(scenario, { arms: [{ ...adaptive, role: "single" }], replications: 1 });
    const states = run!.series.map((w) => ({ t: w.t, state: w.providers.find((p) => p.id === "p1")!.state }));
    const before = states.filter((s) => s.t < 10);
    const during = states.filter((s) => s.t >= 12 && s.t < 30);
    const isolatedAt = states.find((s) => s.state === "ISOLATED")?.t;
    expect(before.every((s) => s.state === "HEALTHY")).toBe(true);
    expect(isolatedAt).toBeGreaterThanOrEqual(10);
    expect(isolatedAt).toBeLessThan(12);
    expect(during.every((s) => s.state !== "HEALTHY")).toBe(true);
    // After the fault ends (30 s) a probe succeeds and p1 is HEALTHY again before the traffic ends.
    const recovered = states.find((s) => s.t >= 30 && s.state === "HEALTHY");
    expect(recovered).toBeDefined();
    expect(states.at(-1)!.state).toBe("HEALTHY");
    expect(run!.events.some((e) => e.kind === "health" && e.providerId === "p1" && e.to === "ISOLATED")).toBe(
      true,
    );
    expect(run!.events.some((e) => e.kind === "incident" && e.providerId === "p1")).toBe(true);
    // The other providers carried the traffic: nothing failed.
    expect(run!.summary.errorRate.mean).toBeLessThan(0.01);
  });
});
