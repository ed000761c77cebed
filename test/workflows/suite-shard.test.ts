// A sharded suite (suite --shard I/N): the shards simulate disjoint (scenario, configuration) pairs, pair k
// to shard k mod N, and together write exactly the RunResults of the unsharded suite (provenance and the
// recorded command aside).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { validateScenario } from "../../scenarios/define.ts";
import { runSuite } from "../../workflows/suite.ts";

const scenario = (name: string, seed: number) =>
  validateScenario({
    name,
    seed,
    traffic: { executor: "constant-arrival-rate", rate: 80, duration: "3s" },
    providers: [{ id: "p1", latency: { p50: "40ms", p99: "200ms" }, capacity: 50, errorRate: 0.01 }],
    cluster: { primary: { workers: 20 }, backup: { workers: 10 } },
    drain: "2s",
  });
const scenarios = [scenario("one", 1), scenario("two", 2)];
const dir = mkdtempSync(join(tmpdir(), "rushhour-suite-shard-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (out: string, shard?: { index: number; count: number }) =>
  runSuite(scenarios, {
    mode: "sim",
    replications: 2,
    roles: ["baseline", "candidate"],
    out: join(dir, out),
    report: false,
    command: ["rushhour", "suite"],
    ...(shard ? { shard } : {}),
  });

/** A run file's bytes without the fields that differ between runs of the same work. */
const bytes = (file: string) => readFileSync(file, "utf8").replace(/"provenance": \{[^}]*\},\n/, "");

describe("suite --shard", () => {
  it("splits the (scenario, configuration) pairs over the shards, and together they write the whole suite", async () => {
    await run("whole");
    const parts = [];
    for (let index = 0; index < 3; index++) parts.push(await run(`shard-${index}`, { index, count: 3 }));
    // Pairs in order: one/baseline, one/candidate, two/baseline, two/candidate.
    expect(parts.map((p) => p.runFiles.map((f) => f.split("/").pop()))).toEqual([
      ["one.legacy.json", "two.adaptive.json"],
      ["one.adaptive.json"],
      ["two.legacy.json"],
    ]);
    const whole = readdirSync(join(dir, "whole/runs")).sort();
    expect(
      parts
        .flatMap((p) => p.runFiles)
        .map((f) => f.split("/").pop())
        .sort(),
    ).toEqual(whole);
    for (const part of parts) {
      for (const file of part.runFiles) {
        expect(bytes(file)).toBe(bytes(join(dir, "whole/runs", file.split("/").pop() as string)));
      }
    }
  });
});
