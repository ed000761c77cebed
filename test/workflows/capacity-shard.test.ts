// capacity --shard (workflows/capacity-shard.ts): every shard finds the same bracket, the grid's candidates are
// split k mod N so each is probed exactly once, and the merge gives the grid's answer whatever the shard count;
// merge refuses shards of other searches and names a missing one. Then the commands end to end on a tiny scenario.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { main } from "../../cli/main.ts";
import {
  CAPACITY_SHARD_KIND,
  type CapacityShard,
  gridCandidates,
  mergeCapacityShards,
  shardedSearch,
} from "../../workflows/capacity-shard.ts";

/** A system that meets the objective below `capacity`; counts how often each rate is probed. */
function system(capacity: number) {
  const probed = new Map<number, number>();
  const probe = async (rate: number) => {
    probed.set(rate, (probed.get(rate) ?? 0) + 1);
    return { rate, p99Ms: rate < capacity ? 100 : 5000, errorRate: 0, ok: rate < capacity };
  };
  return { probe, probed };
}

const objective = { p99Ms: 500, maxErrorRate: 0.01 };
const options = { start: 300, tolerance: 0.02, maxProbes: 14 };

async function shards(capacity: number, n: number) {
  const sys = system(capacity);
  const parts: { source: string; part: CapacityShard }[] = [];
  for (let i = 0; i < n; i++) {
    const found = await shardedSearch(sys.probe, options, { index: i, count: n });
    parts.push({
      source: `capacity.shard-${i}-of-${n}.json`,
      part: {
        kind: CAPACITY_SHARD_KIND,
        scenario: "s",
        config: "adaptive",
        objective,
        settings: { durationMs: 1000, replications: 1, tolerance: 0.02, start: 300 },
        shard: { index: i, count: n },
        ...found,
      },
    });
  }
  return { parts, probed: sys.probed };
}

describe("a sharded capacity search", () => {
  it("probes each grid rate once over all shards and merges to the boundary within the tolerance", async () => {
    const { parts, probed } = await shards(1000, 4);
    const { bracket, candidates } = parts[0]!.part;
    // Every shard found the same bracket: 300 and 600 met, 1200 missed.
    expect(bracket).toEqual({ lo: 600, hi: 1200 });
    expect(candidates).toEqual(gridCandidates(600, 1200, 0.02));
    expect(candidates.length).toBe(49);
    for (const rate of candidates) expect(probed.get(rate)).toBe(1);
    expect(parts.map((p) => p.part.probes.length)).toEqual([13, 12, 12, 12]);
    const { search } = mergeCapacityShards(parts);
    expect(search.best).toBeLessThan(1000);
    expect((1000 - search.best) / search.best).toBeLessThanOrEqual(0.02);
    expect(search.firstFailing).toBeGreaterThanOrEqual(1000);
    expect(search.probes).toHaveLength(3 + 49);
  });

  it("merges to the same answer with 1, 3 and 7 shards", async () => {
    const answers = [];
    for (const n of [1, 3, 7]) answers.push(mergeCapacityShards((await shards(777, n)).parts).search);
    expect(answers.map((a) => a.best)).toEqual([answers[0]!.best, answers[0]!.best, answers[0]!.best]);
    expect(answers.map((a) => a.firstFailing)).toEqual([
      answers[0]!.firstFailing,
      answers[0]!.firstFailing,
      answers[0]!.firstFailing,
    ]);
  });

  it("names a missing shard, a shard given twice and a shard of another search", async () => {
    const { parts } = await shards(1000, 3);
    expect(() => mergeCapacityShards([parts[0]!, parts[2]!])).toThrow(
      /missing capacity shard 1\/3 of s \(adaptive\)/,
    );
    expect(() => mergeCapacityShards([parts[0]!, parts[1]!, parts[1]!, parts[2]!])).toThrow(
      /capacity shard 1\/3 given twice/,
    );
    const other = {
      ...parts[2]!,
      part: { ...parts[2]!.part, settings: { ...parts[2]!.part.settings, tolerance: 0.05 } },
    };
    expect(() => mergeCapacityShards([parts[0]!, parts[1]!, other])).toThrow(
      /settings is .* in capacity.shard-0-of-3.json but .*"tolerance":0.05.* in capacity.shard-2-of-3.json/,
    );
  });
});

describe("rushhour capacity --shard and rushhour merge", () => {
  it("two shards of a tiny scenario merge into the capacity report; a missing shard exits 2 naming it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rushhour-capacity-shard-"));
    const scenario = {
      name: "cap-shard",
      seed: 5,
      traffic: { executor: "constant-arrival-rate", rate: 100, duration: "5s" },
      vipShare: 0,
      skus: { count: 10, zipfExponent: 1 },
      providers: [{ id: "p1", latency: { p50: "40ms", p99: "200ms" }, capacity: 50, errorRate: 0 }],
      cluster: { primary: { workers: 100, cores: 2 }, backup: { workers: 50, cores: 2 }, hopMs: "2ms" },
      drain: "5s",
      window: "1s",
      thresholds: { latency: ["p(99)<500"] },
    };
    const file = join(dir, "cap-shard.ts");
    writeFileSync(file, `export default ${JSON.stringify(scenario)};\n`);
    const stdout = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const common = ["capacity", file, "--duration", "5s", "--tolerance", "10%", "--out", join(dir, "shards")];
    const codes = [
      await main([...common, "--shard", "0/2"]),
      await main([...common, "--shard-count", "2", "--shard-index", "1"]),
    ];
    const missing = await main([
      "merge",
      join(dir, "shards", "capacity.shard-1-of-2.json"),
      "--out",
      join(dir, "m0"),
    ]);
    const merged = await main(["merge", join(dir, "shards"), "--out", join(dir, "merged")]);
    const printed = stdout.mock.calls.map((c) => String(c[0])).join("");
    const errors = stderr.mock.calls.map((c) => String(c[0])).join("");
    vi.restoreAllMocks();
    expect(codes).toEqual([0, 0]);
    expect(missing).toBe(2);
    expect(errors).toMatch(/missing capacity shard 0\/2 of cap-shard/);
    expect(merged).toBe(0);
    const rep = JSON.parse(readFileSync(join(dir, "merged", "capacity.json"), "utf8"));
    expect(rep.search.best).toBeGreaterThan(0);
    // Monotone here: every probed rate at or below the answer met the objective, every one above missed.
    for (const p of rep.search.probes) expect(p.ok).toBe(p.rate <= rep.search.best);
    expect(rep.liveNote).toMatch(/sharded search \(2 shards\)/);
    expect(printed).toMatch(/cap-shard \(.*\): 2 capacity shards/);
  });
});
