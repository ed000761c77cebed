// The merge of tune shards (workflows/tune-shard.ts) on the planted problem (scenarios/tune/planted-workers.ts):
// two shards of one design merge into every candidate of the unsharded design once, the best of the shards'
// bests, runner-ups over every shard's finalists, and runs that add up. A single shard of one merges into the
// unsharded run's result (the recomputed runner-ups, sensitivity and Pareto front are tune's own). Shards of
// other runs, a missing shard, a shard given twice and an unsharded run are refused by name.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { loadScenario } from "../../scenarios/define.ts";
import { presetConfig } from "../../server/core/config.ts";
import { type TuneOptions, type TuneResult, tune } from "../../workflows/tune.ts";
import { mergeTuneShards, type TuneShardInput } from "../../workflows/tune-shard.ts";
import { checkSpace } from "../../workflows/tune-space.ts";

const SCENARIO = new URL("../../scenarios/tune/planted-workers.ts", import.meta.url).pathname;
const SPACE = new URL("../../scenarios/tune/planted-workers.space.json", import.meta.url).pathname;
const adaptive = presetConfig("adaptive")!;
const legacy = presetConfig("legacy")!;
// 15 candidates: 8 and 7 per shard, each shard's race keeps 3 finalists (a 36-run budget, about 1 s a shard).
const BUDGET = 36;
const SEED = 9;

async function options(seed = SEED): Promise<TuneOptions> {
  const scenario = await loadScenario(SCENARIO);
  return {
    scenarios: [scenario],
    // The planted space has a cost, so the Pareto front is merged too.
    space: checkSpace(JSON.parse(readFileSync(SPACE, "utf8")), adaptive, [scenario]),
    base: { name: "adaptive", config: adaptive },
    baseFile: { extends: "adaptive" },
    baseline: { name: "legacy", config: legacy },
    current: { name: "adaptive", config: adaptive },
    budget: BUDGET,
    jobs: 1,
    seed,
  };
}

const shardOf = async (index: number, count: number, seed = SEED): Promise<TuneShardInput> => ({
  source: `shard-${index}-of-${count}/tune.json`,
  result: await tune({ ...(await options(seed)), shard: { index, count } }),
});

let whole: TuneResult;
let s0: TuneShardInput;
let s1: TuneShardInput;
let merged: TuneResult;

beforeAll(async () => {
  whole = await tune(await options());
  s0 = await shardOf(0, 2);
  s1 = await shardOf(1, 2);
  merged = mergeTuneShards([s1, s0]);
});

describe("merging the shards of a tune run", () => {
  it("holds every candidate of the unsharded design once, and the runs of both shards", () => {
    expect(merged.candidates.map((c) => c.id)).toEqual(whole.candidates.map((c) => c.id));
    expect(merged.candidates.map((c) => c.values)).toEqual(whole.candidates.map((c) => c.values));
    expect(merged.runs).toBe(s0.result.runs + s1.result.runs);
    expect(merged.fullRuns).toBe(s0.result.fullRuns + s1.result.fullRuns);
    expect(merged.wallSeconds).toBe(Math.max(s0.result.wallSeconds, s1.result.wallSeconds));
    expect(merged.schedule.rungs[0]!.candidates).toBe(whole.candidates.length);
    expect(merged.shard).toBeUndefined();
    expect(merged.notes.some((n) => n.startsWith("merged from 2 shards"))).toBe(true);
    expect(merged.notes.filter((n) => /raced candidates/.test(n))).toEqual([]);
  });

  it("recommends the best of the shards' bests, which is the best of every shard's finalists", () => {
    const bests = [s0.result.best!, s1.result.best!].sort((a, b) => a.objective - b.objective || a.id - b.id);
    expect(merged.best!.id).toBe(bests[0]!.id);
    expect(merged.best!.objective).toBe(bests[0]!.objective);
    const from = [s0.result, s1.result].find((r) => r.best!.id === merged.best!.id)!;
    expect(merged.best!.configFile).toEqual(from.best!.configFile);
    expect(merged.best!.vsCurrent).toEqual(from.best!.vsCurrent);
    expect(merged.perScenario).toEqual(from.perScenario);
    // The finalists: every candidate that reached the last rung, 3 per shard here.
    const finalists = merged.candidates.filter((c) => c.status === "ok" && c.reps === 6);
    expect(finalists.length).toBe(6);
    for (const f of finalists) expect(merged.best!.objective).toBeLessThanOrEqual(f.objective);
    expect(merged.best!.runnerUps.map((u) => u.id).sort((a, b) => a - b)).toEqual(
      finalists.map((f) => f.id).filter((id) => id !== merged.best!.id),
    );
    expect(merged.best!.runnerUps.length).toBeGreaterThan(from.best!.runnerUps.length);
    expect(merged.best!.clearWinner).toBe(merged.best!.runnerUps.every((u) => u.verdict === "better"));
    // Sensitivity and the Pareto front over every shard's first rung.
    const raced = merged.candidates.filter((c) => c.status === "ok" || c.status === "dropped").length;
    for (const s of merged.sensitivity) expect(s.points).toHaveLength(raced);
    for (const p of merged.pareto!) expect(merged.candidates.some((c) => c.id === p.id)).toBe(true);
  });

  it("merges a single shard of one into the unsharded run's result", async () => {
    const one = mergeTuneShards([await shardOf(0, 1)]);
    const strip = (r: TuneResult) => ({ ...r, wallSeconds: 0, notes: [] });
    expect(strip(one)).toEqual(strip(whole));
    expect(one.notes.at(-1)).toMatch(/^merged from 1 shard \(/);
  });

  it("refuses a missing shard, a shard given twice, another seed and an unsharded run", async () => {
    expect(() => mergeTuneShards([s0])).toThrow(
      /missing tune shard 1\/2 of planted-workers \(from adaptive\): merge needs every shard/,
    );
    expect(() => mergeTuneShards([s0, s1, { ...s0, source: "copy.json" }])).toThrow(
      /tune shard 0\/2 given twice: shard-0-of-2\/tune.json and copy.json/,
    );
    const otherSeed = await shardOf(1, 2, SEED + 1);
    expect(() => mergeTuneShards([s0, { ...otherSeed, source: "seed10.json" }])).toThrow(
      /tune shards of different runs: seed is 9 in shard-0-of-2\/tune.json but 10 in seed10.json/,
    );
    expect(() => mergeTuneShards([s0, { source: "whole/tune.json", result: whole }])).toThrow(
      /whole\/tune.json: the tune.json of an unsharded run \(no "shard" block\)/,
    );
    const otherBudget = { ...s1, result: { ...s1.result, designSize: 20 } };
    expect(() => mergeTuneShards([s0, otherBudget])).toThrow(/designSize is 15 in .* but 20 in/);
  });
});
