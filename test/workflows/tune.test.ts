// `tune` on the planted problem (scenarios/tune/planted-workers.ts: the best is 45 primary workers at 20 ms
// of P99 per worker): it finds it within one step, says the answer is significantly better than the scenario's
// adaptive configuration, and gives the same answer for the same seed. Invalid and constraint-violating
// candidates are kept with their reason.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadScenario, validateScenario } from "../../scenarios/define.ts";
import { presetConfig } from "../../server/core/config.ts";
import { DEFAULT_BUDGET, type TuneOptions, tune } from "../../workflows/tune.ts";
import { checkSpace } from "../../workflows/tune-space.ts";

const SCENARIO = new URL("../../scenarios/tune/planted-workers.ts", import.meta.url).pathname;
const SPACE = new URL("../../scenarios/tune/planted-workers.space.json", import.meta.url).pathname;
const adaptive = presetConfig("adaptive")!;
const legacy = presetConfig("legacy")!;

async function options(space: unknown, budget: number, seed: number): Promise<TuneOptions> {
  const scenario = await loadScenario(SCENARIO);
  return {
    scenarios: [scenario],
    space: checkSpace(space, adaptive, [scenario]),
    base: { name: "adaptive", config: adaptive },
    baseFile: { extends: "adaptive" },
    baseline: { name: "legacy", config: legacy },
    current: { name: "adaptive", config: adaptive },
    budget,
    jobs: 1,
    seed,
  };
}

describe("tune", () => {
  it("finds the planted best (45 workers) within one step, significantly better than adaptive", async () => {
    const space = JSON.parse(readFileSync(SPACE, "utf8"));
    const r = await tune(await options(space, DEFAULT_BUDGET, 4));
    const workers = Number(r.best!.values["cluster.primary.workers"]);
    expect(Math.abs(workers - 45)).toBeLessThanOrEqual(5);
    expect(r.best!.cluster).toEqual({ "cluster.primary.workers": workers });
    expect(r.best!.vsCurrent.verdict).toBe("better");
    expect(r.best!.vsCurrent.estimate.method).toBe("paired-bootstrap");
    // The racing spent less than every candidate at full replications would have.
    expect(r.runs).toBeLessThan(r.fullRuns);
    expect(r.pareto!.length).toBeGreaterThan(1);
  });

  it("gives the same answer for the same seed, and records invalid and infeasible candidates with the reason", async () => {
    const space = {
      parameters: {
        "cluster.primary.workers": { range: [20, 60], step: 10 },
        // adaptive's lowWatermark is 0.6: a high watermark below it is an invalid configuration.
        "routing.highWatermark": { range: [0.3, 0.9], step: 0.1 },
      },
      constraints: { latency: ["p(99)<1000"] },
    };
    const strip = (x: Awaited<ReturnType<typeof tune>>) => JSON.stringify({ ...x, wallSeconds: 0 });
    const a = await tune(await options(space, 12, 11));
    const b = await tune(await options(space, 12, 11));
    expect(strip(a)).toBe(strip(b));
    const invalid = a.candidates.filter((c) => c.status === "invalid");
    expect(invalid.length).toBeGreaterThan(0);
    for (const c of invalid) {
      expect(Number(c.values["routing.highWatermark"])).toBeLessThan(0.6);
      expect(c.reasons).toContain("routing.lowWatermark: must not exceed routing.highWatermark");
    }
    const infeasible = a.candidates.filter((c) => c.status === "infeasible");
    expect(infeasible.length).toBeGreaterThan(0);
    for (const c of infeasible) expect(c.reasons[0]).toMatch(/^latency p\(99\)<1000: observed \d+/);
    expect(a.best === undefined || Number(a.best.values["cluster.primary.workers"]) >= 40).toBe(true);
  });

  it("judges every candidate on each of several scenarios (the worst), and a shard races its slice only", async () => {
    const o = await options(
      { parameters: { "cluster.primary.workers": { range: [30, 60], step: 10 } } },
      8,
      3,
    );
    const planted = o.scenarios[0]!;
    // Two short constant-rate versions of the planted shop: the busier one needs more workers, so it is the worst.
    const at = (name: string, rate: number) =>
      validateScenario(
        {
          ...(planted.definition as Record<string, unknown>),
          name,
          traffic: { executor: "constant-arrival-rate", rate, duration: "6s" },
          drain: "5s",
        },
        planted.file,
      );
    const main = at("planted-busy", 450);
    const quiet = at("planted-quiet", 250);
    const r = await tune({ ...o, scenarios: [main, quiet] });
    expect(r.scenarios).toEqual(["planted-busy", "planted-quiet"]);
    expect(r.perScenario.map((s) => s.scenario)).toEqual(["planted-busy", "planted-quiet"]);
    for (const c of r.candidates.filter((x) => x.perRep.length > 0)) {
      c.perRep.forEach((v, i) => {
        expect(v).toBe(Math.max(c.perScenario["planted-busy"]![i]!, c.perScenario["planted-quiet"]![i]!));
      });
    }
    const shard = await tune({ ...o, scenarios: [main], budget: 12, shard: { index: 1, count: 2 } });
    expect(shard.candidates.length).toBeGreaterThan(0);
    for (const c of shard.candidates) expect(c.id % 2).toBe(1);
  });
});
