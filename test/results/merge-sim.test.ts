// Sharded simulation merged exactly: 4 shards of a run (sim --shard i/4), each holding its replications,
// merge into the bytes the unsharded run writes (provenance aside), and the merge refuses shards that
// are missing, given twice or of another run, naming the shard or the field.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../../cli/main.ts";
import { MergeError, mergeShards, type ShardInput } from "../../results/merge.ts";
import { type RunResult, readRunResult, writeRunResult } from "../../results/run-result.ts";
import { validateScenario } from "../../scenarios/define.ts";
import { presetConfig } from "../../server/core/config.ts";
import { simulate } from "../../simulator/runner.ts";

const scenario = validateScenario({
  name: "tiny",
  seed: 5,
  traffic: {
    executor: "ramping-arrival-rate",
    startRate: 50,
    stages: [
      { target: 200, duration: "3s" },
      { target: 200, duration: "3s" },
    ],
  },
  vipShare: 0.1,
  providers: [
    { id: "a", latency: { p50: 30, p99: 200 }, capacity: 40, errorRate: 0.01 },
    { id: "b", latency: { p50: 40, p99: 300 }, capacity: 40, errorRate: 0.01 },
  ],
  faults: [{ at: "2s", provider: "b", kind: "timeout", probability: 0.5, duration: "2s" }],
  cluster: { primary: { workers: 30 }, backup: { workers: 15 } },
  drain: "5s",
  thresholds: {
    latency: ["p(99)<5000", "p(50)<1"],
    latency_vip: ["p(95)<4000"],
    duplicate_cards: ["count==0"],
  },
});

const arms = [
  { name: "legacy", role: "baseline" as const, config: presetConfig("legacy")! },
  { name: "adaptive", role: "candidate" as const, config: presetConfig("adaptive")! },
];
const R = 5;
const run = (shard?: { index: number; count: number }) =>
  simulate(scenario, {
    arms,
    replications: R,
    command: [
      "rushhour",
      "sim",
      "tiny",
      "--replications",
      String(R),
      ...(shard ? ["--shard", `${shard.index}/${shard.count}`] : []),
    ],
    ...(shard ? { shard } : {}),
  });

const dir = mkdtempSync(join(tmpdir(), "rushhour-merge-sim-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The file `rushhour sim` would write, without its provenance line. */
function bytes(r: RunResult, name: string): string {
  const file = join(dir, name);
  writeRunResult(file, r);
  return readFileSync(file, "utf8").replace(/"provenance": \{[^}]*\},\n/, "");
}

const whole = run();
const shards = [0, 1, 2, 3].map((index) => run({ index, count: 4 }));
const inputs: ShardInput[] = shards.flatMap((results, i) =>
  results.map((result) => ({ source: `shard-${i}.${result.config.name}.json`, result })),
);

describe("merging simulation shards", () => {
  it("gives each shard its replications, r mod 4, and the merge the unsharded run's bytes", () => {
    expect(shards.map((s) => s[0]!.perReplication.map((p) => p.replication))).toEqual([
      [0, 4],
      [1],
      [2],
      [3],
    ]);
    const merged = mergeShards(inputs);
    expect(merged.map((r) => r.config.name)).toEqual(["legacy", "adaptive"]);
    for (const [k, m] of merged.entries()) {
      expect(m.shard).toBeUndefined();
      expect(bytes(m, `merged.${k}.json`)).toBe(bytes(whole[k]!, `whole.${k}.json`));
    }
    // The thresholds were judged again: one fails on the merged data as on the unsharded run.
    expect(merged[0]!.thresholds.find((t) => t.expression === "p(50)<1")?.pass).toBe(false);
  });

  it("merges shards given in any order", () => {
    const merged = mergeShards([...inputs].reverse());
    const legacy = merged.find((r) => r.config.name === "legacy")!;
    expect(bytes(legacy, "any-order.json")).toBe(bytes(whole[0]!, "w0.json"));
  });

  it("says which shard is missing", () => {
    const without = inputs.filter((s) => !s.source.startsWith("shard-2."));
    expect(() => mergeShards(without)).toThrow(/missing shard 2\/4 of tiny legacy \(baseline\)/);
  });

  it("refuses a shard given twice, naming both files", () => {
    expect(() => mergeShards([...inputs, { ...inputs[0]!, source: "copy.json" }])).toThrow(
      /shard 0\/4 of tiny legacy \(baseline\) given twice: shard-0.legacy.json and copy.json/,
    );
  });

  it("refuses shards of another seed or scenario, naming the field", () => {
    const otherSeed = simulate(scenario, { arms, replications: R, seed: 99, shard: { index: 3, count: 4 } });
    const mixed = [
      ...inputs.filter((s) => !s.source.startsWith("shard-3.")),
      ...otherSeed.map((result) => ({ source: "seed99.json", result })),
    ];
    expect(() => mergeShards(mixed)).toThrow(MergeError);
    expect(() => mergeShards(mixed)).toThrow(/seeds is .* in shard-0.legacy.json but .* in seed99.json/);
    const renamed = {
      ...inputs[1]!,
      result: { ...inputs[1]!.result, scenario: { ...inputs[1]!.result.scenario, name: "other" } },
    };
    expect(() => mergeShards([inputs[0]!, renamed])).toThrow(/scenario.name is "tiny" in .* but "other" in/);
  });

  it("refuses a result that is not a shard", () => {
    expect(() => mergeShards([{ source: "whole.json", result: whole[0]! }])).toThrow(
      /whole.json: not a shard \(no "shard" block\)/,
    );
  });

  describe("rushhour merge", () => {
    afterEach(() => vi.restoreAllMocks());

    it("merges shard files from a folder into one RunResult per configuration", async () => {
      const shardDir = join(dir, "shards");
      for (const i of inputs) writeRunResult(join(shardDir, i.source), i.result);
      const out = join(dir, "merged-cli");
      const stdout = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
      expect(await main(["merge", shardDir, "--out", out])).toBe(1); // p(50)<1 fails, as unsharded
      expect(stdout.mock.calls.join("")).toMatch(/tiny legacy \(baseline\): 4 shards, \d+ submitted/);
      expect(bytes(readRunResult(join(out, "tiny.legacy.json")), "cli.json")).toBe(
        bytes(whole[0]!, "w.json"),
      );
    });

    it("leaves report, compare and gate to merged results: a lone shard is refused", async () => {
      const lone = join(dir, "lone.json");
      writeRunResult(lone, inputs[0]!.result);
      const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
      expect(await main(["gate", "--baseline", lone, "--candidate", lone])).toBe(2);
      expect(stderr.mock.calls.join("")).toMatch(
        /lone.json: shard 0\/4 of a sharded run: join the shards first \(rushhour merge\)/,
      );
    });

    it("exits 2 naming the missing shard", async () => {
      const partial = join(dir, "partial");
      for (const i of inputs.filter((x) => !x.source.startsWith("shard-1."))) {
        writeRunResult(join(partial, i.source), i.result);
      }
      const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
      expect(await main(["merge", partial, "--out", join(dir, "never")])).toBe(2);
      expect(stderr.mock.calls.join("")).toMatch(/rushhour merge: missing shard 1\/4 of tiny/);
    });
  });
});
