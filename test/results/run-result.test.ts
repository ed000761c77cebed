// The RunResult contract: what sim and load write and reports read.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LatencyHistogram, mergeEncoded } from "../../results/histogram.ts";
import {
  parseRunResult,
  type RunResult,
  RunResultError,
  readRunResult,
  withoutProvenance,
  writeRunResult,
} from "../../results/run-result.ts";
import { validateScenario } from "../../scenarios/define.ts";
import { presetConfig } from "../../server/core/config.ts";
import { simulate } from "../../simulator/runner.ts";

const scenario = validateScenario({
  name: "rr",
  traffic: { executor: "constant-arrival-rate", rate: 100, duration: "3s" },
  providers: [{ id: "p", latency: { p50: 20, p99: 80 }, capacity: 20 }],
  cluster: { primary: { workers: 10 }, backup: { workers: 5 } },
  drain: "2s",
  thresholds: { latency: ["p(99)<1000"] },
});
const [sample] = simulate(scenario, {
  arms: [{ name: "adaptive", role: "single", config: presetConfig("adaptive")! }],
  replications: 1,
});
const dir = mkdtempSync(join(tmpdir(), "rushhour-rr-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("RunResult", () => {
  it("round-trips through writeRunResult / readRunResult", () => {
    const file = join(dir, "sub", "rr.json");
    writeRunResult(file, sample!);
    const back = readRunResult(file);
    expect(withoutProvenance(back)).toEqual(withoutProvenance(sample!));
    expect(readFileSync(file, "utf8").startsWith('{\n  "schemaVersion": 1,')).toBe(true);
  });

  it("has one CI per summary metric with lo = hi = mean for one replication", () => {
    const p99 = sample!.summary.p99;
    expect(p99.lo).toBe(p99.mean);
    expect(p99.hi).toBe(p99.mean);
    expect(p99.n).toBe(1);
    expect(Object.keys(sample!.summary.cpuPeak).sort()).toEqual(["backup", "primary"]);
  });

  it("lists every problem of an invalid file with its path", () => {
    const broken = JSON.parse(JSON.stringify(sample)) as Record<string, unknown> & RunResult;
    (broken as { kind: string }).kind = "live";
    (broken.series[0] as { p99: unknown }).p99 = "slow";
    delete (broken as Partial<RunResult>).counters;
    let error: RunResultError | undefined;
    try {
      parseRunResult(broken);
    } catch (err) {
      error = err as RunResultError;
    }
    expect(error).toBeInstanceOf(RunResultError);
    expect(error!.problems.some((p) => p.startsWith("kind:"))).toBe(true);
    expect(error!.problems.some((p) => p.startsWith("series[0].p99:"))).toBe(true);
    expect(error!.problems.some((p) => p.startsWith("counters:"))).toBe(true);
  });

  it("refuses __proto__, constructor and prototype keys by path (a schema would drop them silently)", () => {
    const text = JSON.stringify(sample)
      .replace('"summary":{', '"summary":{"__proto__":{"p99":1},')
      .replace('"counters":{', '"counters":{"constructor":{"x":1},');
    expect(() => parseRunResult(text, "rr.json")).toThrow(
      /rr\.json is not a valid RunResult:[\s\S]*summary\.__proto__: [\s\S]*counters\.constructor: |rr\.json is not a valid RunResult:[\s\S]*counters\.constructor: [\s\S]*summary\.__proto__: /,
    );
  });

  it("refuses another schema version and non-JSON with a clear message", () => {
    expect(() => parseRunResult({ ...sample, schemaVersion: 2 })).toThrow(/schemaVersion 2 is not supported/);
    expect(() => parseRunResult("{nope", "x.json")).toThrow(/x\.json: not valid JSON/);
  });
});

describe("LatencyHistogram", () => {
  it("keeps 3 significant digits in ms, merges and survives encoding", () => {
    const a = LatencyHistogram.create();
    const b = LatencyHistogram.create();
    for (let i = 1; i <= 1000; i++) (i % 2 ? a : b).record(i * 1.5);
    const merged = mergeEncoded([a.encode(), b.encode()]);
    const all = LatencyHistogram.create();
    for (let i = 1; i <= 1000; i++) all.record(i * 1.5);
    expect(merged.count).toBe(1000);
    expect(merged.percentile(99)).toBe(all.percentile(99));
    expect(merged.percentile(99) / 1485).toBeCloseTo(1, 2);
    expect(merged.max / 1500).toBeCloseTo(1, 2);
    expect(LatencyHistogram.decode(merged.encode()).percentile(50)).toBe(merged.percentile(50));
    expect(merged.fractionAbove(1200)).toBeCloseTo(0.2, 2);
    expect(LatencyHistogram.create().percentile(99)).toBe(0);
  });
});
