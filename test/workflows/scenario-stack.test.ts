// The live server a scenario describes forecasts from the scenario's demand history, as the simulated one
// does (simulator/replication.ts hands it to its dispatchers): without it, the live server never prewarmed
// and the twin compared a system with a card cache against one without. A real local stack (provider farm
// and rushhour serve over gRPC), read through its AdminService.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Admin } from "../../load/admin.ts";
import { loadScenario, validateScenario } from "../../scenarios/define.ts";
import { presetConfig } from "../../server/core/config.ts";
import { HoltWinters } from "../../server/core/forecast.ts";
import { scenarioDemandHistory, startScenarioStack } from "../../workflows/scenario-stack.ts";

const TINY = fileURLToPath(new URL("./fixtures/twin-tiny.ts", import.meta.url));

describe("a scenario's local stack", () => {
  it("hands the server the scenario's demand history: it forecasts the peak the simulator forecasts", async () => {
    const tiny = await loadScenario(TINY);
    const scenario = validateScenario(
      {
        ...(tiny.definition as Record<string, unknown>),
        demandHistory: { kind: "generated", days: 2, peakPerMinute: 6_000, troughPerMinute: 300 },
      },
      tiny.file,
    );
    const history = scenarioDemandHistory(scenario)!;
    expect(history.length).toBe(2 * 1440);
    const config = presetConfig("adaptive")!;
    // The forecast the core makes from that history (server/core/prewarm.ts plan()).
    const p = config.prewarm;
    const forecaster = new HoltWinters(p.seasonMinutes, p.alpha, p.beta, p.gamma);
    forecaster.fit(history);
    const expected = forecaster.peak(p.horizonMinutes);
    expect(expected).toBeGreaterThan(1_000);

    const stack = await startScenarioStack(scenario, config, { store: "memory:", backup: false });
    const admin = new Admin(stack.target, stack.adminToken);
    try {
      const snapshot = await admin.getSnapshot();
      expect(snapshot.prewarm?.predictedPeakPerMinute).toBeCloseTo(expected, 6);
    } finally {
      admin.close();
      await stack.stop();
    }
    // A scenario without one has none to hand over.
    expect(scenarioDemandHistory(tiny)).toBeUndefined();
  }, 120_000);
});
