// Replications on worker threads give exactly the results of the in-thread runner.
import { describe, expect, it } from "vitest";
import { withoutProvenance } from "../../results/run-result.ts";
import { validateScenario } from "../../scenarios/define.ts";
import { presetConfig } from "../../server/core/config.ts";
import { simulateParallel } from "../../simulator/parallel.ts";
import { simulate } from "../../simulator/runner.ts";

const scenario = validateScenario({
  name: "par",
  traffic: { executor: "constant-arrival-rate", rate: 200, duration: "4s" },
  providers: [
    { id: "a", latency: { p50: 20, p99: 150 }, capacity: 30, errorRate: 0.01 },
    { id: "b", latency: { p50: 30, p99: 200 }, capacity: 30 },
  ],
  faults: [{ at: "1s", provider: "b", kind: "timeout", probability: 0.5, duration: "2s" }],
  cluster: { primary: { workers: 20 }, backup: { workers: 10 } },
  drain: "5s",
});
const arms = [
  { name: "legacy", role: "baseline" as const, config: presetConfig("legacy")! },
  { name: "adaptive", role: "candidate" as const, config: presetConfig("adaptive")! },
];

describe("simulateParallel", () => {
  it("matches simulate() byte for byte, minus provenance", async () => {
    const serial = simulate(scenario, { arms, replications: 2, seed: 3 });
    let last = 0;
    const parallel = await simulateParallel(scenario, {
      arms,
      replications: 2,
      seed: 3,
      jobs: 2,
      onProgress: (done, total) => {
        last = done / total;
      },
    });
    expect(parallel.map((r) => JSON.stringify(withoutProvenance(r)))).toEqual(
      serial.map((r) => JSON.stringify(withoutProvenance(r))),
    );
    expect(last).toBe(1);
  });
});
