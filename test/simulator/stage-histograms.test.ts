// A simulated RunResult says where its delivered orders' time went (results/stages.ts), from the same
// core timings a live server returns: the twin's stage table compares the two.
import { describe, expect, it } from "vitest";
import { LatencyHistogram } from "../../results/histogram.ts";
import { validateScenario } from "../../scenarios/define.ts";
import riskOutage from "../../scenarios/risk-outage.ts";
import { presetConfig } from "../../server/core/config.ts";
import { simulate } from "../../simulator/runner.ts";

describe("stage histograms in a simulated run", () => {
  it("hold every delivered order once per stage, the risk service's latency in allocating, the rest outside", () => {
    const scenario = validateScenario({
      ...riskOutage,
      traffic: { executor: "constant-arrival-rate", rate: 100, duration: "20s" },
      faults: [],
      drain: "10s",
    });
    const [run] = simulate(scenario, {
      arms: [{ name: "adaptive", role: "single", config: presetConfig("adaptive")! }],
      replications: 2,
    });
    const by = run!.histograms.byStage!;
    expect(Object.keys(by).sort()).toEqual(["allocating", "core", "issuing", "outside"]);
    const h = (stage: string) => LatencyHistogram.decode(by[stage]!);
    for (const stage of Object.keys(by)) expect(h(stage).count).toBe(run!.counters.delivered);
    // The risk check is most of allocating: its P50 is the service's 15 ms plus the claim's CPU. The bounds
    // leave 4 standard errors of a median of ~4,000 lognormal draws (sigma 0.89: about 1.8% each).
    expect(h("allocating").percentile(50)).toBeGreaterThanOrEqual(15 * 0.93);
    expect(h("allocating").percentile(50)).toBeLessThan(15 * 1.1);
    // The core's span holds both stages; what the client waits beyond it is accept and the reply.
    expect(h("core").percentile(50)).toBeGreaterThan(
      h("allocating").percentile(50) + h("issuing").percentile(25),
    );
    expect(h("core").max).toBeLessThanOrEqual(LatencyHistogram.decode(run!.histograms.overall).max);
    expect(h("outside").percentile(99)).toBeLessThan(h("core").percentile(50));
  });
});
