// judge(): a steady run meets the objective only if its backlog holds. A run past saturation whose P99 is
// still under the objective after a short step (orders piling up behind full worker slots) is a miss.
import { describe, expect, it } from "vitest";
import { MAX_BACKLOG_GROWTH } from "../../reports/capacity/search.ts";
import { validateScenario } from "../../scenarios/define.ts";
import { presetConfig } from "../../server/core/config.ts";
import { simulate } from "../../simulator/runner.ts";
import { backlogGrowth, judge } from "../../workflows/capacity.ts";
import { constantRateScenario } from "../../workflows/steady.ts";

// 10 worker slots of ~50 ms provider calls (adaptive keeps some for VIPs): about 165 orders/s at most, and
// no backup to overflow to.
const base = validateScenario({
  name: "judge-backlog",
  traffic: { executor: "constant-arrival-rate", rate: 100, duration: "10s" },
  providers: [{ id: "p", latency: { p50: 50, p99: 60 }, capacity: 1000 }],
  cluster: { primary: { workers: 10 }, backup: { workers: 10 }, backupDeployed: false },
  drain: "30s",
});
const objective = { p99Ms: 2000, maxErrorRate: 0.01 };

function run(rate: number, seed: number) {
  const [r] = simulate(
    { ...constantRateScenario(base, rate, 10_000), seed },
    { arms: [{ name: "adaptive", role: "single", config: presetConfig("adaptive")! }], replications: 1 },
  );
  return r!;
}

describe("judge", () => {
  it("passes a rate the slots keep up with and fails one they fall behind at, though its P99 is met", () => {
    // Every seed: the mechanism, not a statistic (the margins: growth ~0 at 120/s, ~8% at 178/s).
    for (let seed = 1; seed <= 20; seed++) {
      const steady = judge(120, run(120, seed), objective, 10);
      expect(steady.ok, `seed ${seed}`).toBe(true);
      expect(Math.abs(steady.backlogGrowth!)).toBeLessThan(MAX_BACKLOG_GROWTH);
      // ~8% past what the slots serve: the queue grows by ~14 orders a second, P99 ~1 s after 10 s.
      const past = run(178, seed);
      const p = judge(178, past, objective, 10);
      expect(p.p99Ms, `seed ${seed}`).toBeLessThan(objective.p99Ms);
      expect(p.backlogGrowth!, `seed ${seed}`).toBeGreaterThan(MAX_BACKLOG_GROWTH);
      expect(p.ok).toBe(false);
    }
  });

  it("reads growth from the traffic's windows after the first, and none from too few", () => {
    const r = run(178, 1);
    // The whole series includes the drain, where the backlog empties: only the traffic's windows count.
    expect(backlogGrowth(r, 178, 10)).toBeGreaterThan(0);
    expect(backlogGrowth(r, 178, 2)).toBe(0);
  });
});
