// A seed fixes a run exactly: the same seed gives a byte-identical RunResult once the provenance
// (wall-clock timestamps) is removed; another seed gives a different one.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type RunResult, readRunResult, writeRunResult } from "../../results/run-result.ts";
import { validateScenario } from "../../scenarios/define.ts";
import { presetConfig } from "../../server/core/config.ts";
import { simulate } from "../../simulator/runner.ts";

const scenario = validateScenario({
  name: "tiny",
  seed: 3,
  traffic: {
    executor: "ramping-arrival-rate",
    startRate: 50,
    stages: [
      { target: 300, duration: "5s" },
      { target: 300, duration: "5s" },
    ],
  },
  vipShare: 0.1,
  providers: [
    { id: "a", latency: { p50: 30, p99: 200 }, capacity: 50, errorRate: 0.01 },
    { id: "b", latency: { p50: 40, p99: 300 }, capacity: 50, errorRate: 0.01 },
  ],
  faults: [{ at: "4s", provider: "b", kind: "timeout", probability: 0.5, duration: "3s" }],
  cluster: { primary: { workers: 40 }, backup: { workers: 20 } },
  drain: "10s",
  thresholds: { latency: ["p(99)<5000"], duplicate_cards: ["count==0"] },
});

const arms = [
  { name: "legacy", role: "baseline" as const, config: presetConfig("legacy")! },
  { name: "adaptive", role: "candidate" as const, config: presetConfig("adaptive")! },
];

const dir = mkdtempSync(join(tmpdir(), "rushhour-det-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runToFiles(seed: number, tag: string): string[] {
  const results = simulate(scenario, { arms, replications: 2, seed, command: ["rushhour", "sim", "tiny"] });
  return results.map((r) => {
    const file = join(dir, `${tag}.${r.config.name}.json`);
    writeRunResult(file, r);
    return file;
  });
}

function bytesWithoutProvenance(file: string): string {
  const text = readFileSync(file, "utf8");
  return text.replace(/"provenance": \{[^}]*\},\n/, "");
}

describe("determinism", () => {
  const first = runToFiles(9, "first");
  const again = runToFiles(9, "again");
  const other = runToFiles(10, "other");

  it("gives byte-identical RunResults minus provenance for the same seed", () => {
    for (let i = 0; i < first.length; i++) {
      const a = bytesWithoutProvenance(first[i]!);
      expect(a).not.toContain('"provenance"');
      expect(a).toBe(bytesWithoutProvenance(again[i]!));
    }
  });

  it("gives different results for a different seed", () => {
    for (let i = 0; i < first.length; i++) {
      expect(bytesWithoutProvenance(first[i]!)).not.toBe(bytesWithoutProvenance(other[i]!));
    }
  });

  it("writes files that parse back as valid RunResults with the run's facts", () => {
    const r: RunResult = readRunResult(first[1]!);
    expect(r.kind).toBe("sim");
    expect(r.config).toMatchObject({ name: "adaptive", role: "candidate" });
    expect(r.seeds.base).toBe(9);
    expect(r.seeds.replications).toHaveLength(2);
    expect(r.perReplication).toHaveLength(2);
    expect(r.counters.duplicateCards).toBe(0);
    expect(r.counters.submitted).toBe(
      r.counters.delivered + r.counters.failed + r.counters.rejected + (r.counters.unfinished ?? 0),
    );
    expect(r.series.length).toBe(20);
    expect(r.events.some((e) => e.kind === "fault" && e.providerId === "b" && e.endT === 7)).toBe(true);
    expect(r.thresholds.map((t) => t.expression)).toEqual(["p(99)<5000", "count==0"]);
  });

  it("gives both configurations the same orders (common random numbers)", () => {
    const [legacy, adaptive] = first.map((f) => readRunResult(f));
    expect(legacy!.counters.submitted).toBe(adaptive!.counters.submitted);
    expect(legacy!.series.map((w) => w.submitted)).toEqual(adaptive!.series.map((w) => w.submitted));
  });
});
