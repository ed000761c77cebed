// promo-peak as issue 13 tells it: legacy keeps orders waiting 20 s and more after the fault, and before the
// simulator's CPU was a resource it drained that backlog at 3,000+ orders/s, so raw peak delivered/s read
// adaptive as a -50% regression. With goodput as the headline, the table, the verdict line and the gate read
// runs by orders delivered within the objective; a drain can no longer win them (test/results/business.test.ts
// holds the drained-backlog case itself).
import { describe, expect, it } from "vitest";
import { compareRuns } from "../../reports/compare.ts";
import { toRunView } from "../../reports/from-run-result.ts";
import { gate } from "../../reports/gate.ts";
import { verdictLine } from "../../reports/markdown.ts";
import { writeupTable } from "../../reports/writeup.ts";
import { parseRunResult } from "../../results/run-result.ts";
import { loadScenario } from "../../scenarios/define.ts";
import { presetConfig } from "../../server/core/config.ts";
import { simulate } from "../../simulator/runner.ts";
import { syntheticRunResult } from "./run-result-fixture.ts";

describe("goodput in promo-peak's before/after", async () => {
  const scenario = await loadScenario("promo-peak");
  const [legacy, adaptive] = simulate(scenario, {
    arms: [
      { name: "legacy", role: "baseline", config: presetConfig("legacy")! },
      { name: "adaptive", role: "candidate", config: presetConfig("adaptive")! },
    ],
    replications: 2,
  }).map(toRunView);
  const c = compareRuns(legacy!, adaptive!);
  const row = (key: string) => c.rows.find((r) => r.key === key)!;

  it("peak goodput is the headline, and legacy's late deliveries do not count in it", () => {
    // Over the run, legacy delivers few of its orders within the objective (its backlog is late).
    expect(row("goodputMean").before).toBeLessThan(row("goodputMean").after / 2);
    expect(c.headline.key).toBe("goodputPeak");
    expect(c.headline.verdict).toBe("better");
    expect(c.rows[0]!.key).toBe("goodputPeak");
    expect(c.verdict).toBe("better");
    expect(verdictLine(c)).toMatch(/^promo-peak: better — goodput [\d,]+\/s → [\d,]+\/s \(\+\d+(\.\d)?% \[/);
    // Legacy's waits of 20 s and more put orders past VIP patience and shed others: complaint risk falls.
    expect(row("complaintRiskPerDay").verdict).toBe("better");
  });

  it("sets the write-up's four rows beside rushhour's, from the runs (seed-replay's README table)", () => {
    const lines = writeupTable(c).split("\n");
    expect(lines).toHaveLength(6);
    const cells = (i: number) => lines[i]!.split(" | ").map((x) => x.replace(/^\| |\s\|$/g, ""));
    expect(cells(2).slice(0, 2)).toEqual(["Peak throughput (rushhour: peak goodput)", "200/s → 1,500/s"]);
    expect(cells(2)[2]).toBe(
      `${Math.round(row("goodputPeak").before).toLocaleString("en-US")}/s → ${Math.round(row("goodputPeak").after).toLocaleString("en-US")}/s`,
    );
    expect(cells(3).slice(0, 2)).toEqual(["P99 latency", "7 s → 2 s"]);
    expect(cells(4).slice(0, 2)).toEqual(["Manual interventions", "15/day → 1/week"]);
    expect(cells(5)[1]).toBe("43/day → 6/day");
    expect(cells(5)[4]).toBe("lower is better");
  });

  it("the gate fails a candidate whose goodput fell, naming goodput, and passes the improvement", () => {
    const back = gate([adaptive!], [legacy!], { maxP99Regression: 0.05, maxGoodputRegression: 0.05 });
    const goodput = back.checks.find((k) => k.name.startsWith("goodput regression"))!;
    expect(goodput.ok).toBe(false);
    expect(goodput.message).toMatch(/^promo-peak: peak goodput regressed -\d+(\.\d)?% \[95% CI /);
    const forward = gate([legacy!], [adaptive!], { maxP99Regression: 0.05 });
    expect(forward.checks.find((k) => k.name.startsWith("goodput regression"))!.ok).toBe(true);
  });
});

describe("RunResults written before the business rows", () => {
  /** A synthetic run as an older rushhour wrote it: no goodput, no business counts, no business block. */
  const old = (config: string, medianMs: number) => {
    const { business: _dropped, ...r } = syntheticRunResult({ config, seed: 1, medianMs });
    const strip = (o: object) =>
      Object.fromEntries(
        Object.entries(o).filter(([k]) => !/goodput|interventions|complaint|onTime/i.test(k)),
      );
    return toRunView(
      parseRunResult({
        ...r,
        summary: strip(r.summary),
        perReplication: r.perReplication.map((p) => ({ ...p, summary: strip(p.summary) })),
        series: r.series.map(strip),
      }),
    );
  };

  it("still parse and compare; the table leaves the missing rows out and the gate says it did not judge goodput", () => {
    const base = old("legacy", 600);
    const cand = toRunView(syntheticRunResult({ config: "adaptive", seed: 1, medianMs: 200 }));
    const c = compareRuns(base, cand);
    expect(c.rows.map((r) => r.key)).not.toContain("goodputPeak");
    expect(c.headline.key).toBe("peakThroughput");
    const check = gate([base], [cand], { maxP99Regression: 0.05 }).checks.find((k) =>
      k.name.startsWith("goodput regression"),
    )!;
    expect(check).toMatchObject({ ok: true });
    expect(check.message).toMatch(/goodput not judged/);
  });
});
