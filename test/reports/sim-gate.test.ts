// The gate on real simulator output (not synthetic data): a small provider-fault scenario run through the
// dispatch core. A rerun of the baseline with other seeds passes; a clearly worse candidate fails.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../../cli/main.ts";
import { writeRunResult } from "../../results/run-result.ts";
import { defineScenario, type Scenario, validateScenario } from "../../scenarios/define.ts";
import { runSimulated } from "../../workflows/simulate.ts";

const small: Scenario = validateScenario(
  defineScenario({
    name: "small-outage",
    description: "40 s at 300 orders/s while one of three providers times out for 15 s",
    seed: 7,
    traffic: { executor: "constant-arrival-rate", rate: 300, duration: "40s" },
    vipShare: 0.05,
    skus: { count: 50, zipfExponent: 1.1 },
    demandHistory: { kind: "generated", days: 2, peakPerMinute: 20_000, troughPerMinute: 2_000 },
    providers: [
      { id: "p1", latency: { p50: "40ms", p99: "200ms" }, capacity: 200, errorRate: 0.002 },
      { id: "p2", latency: { p50: "50ms", p99: "250ms" }, capacity: 200, errorRate: 0.002 },
      { id: "p3", latency: { p50: "60ms", p99: "300ms" }, capacity: 200, errorRate: 0.002 },
    ],
    faults: [{ at: "10s", provider: "p2", kind: "timeout", probability: 0.9, duration: "15s" }],
    compare: { baseline: "legacy", candidate: "adaptive" },
    cluster: {
      primary: { workers: 100, cores: 2 },
      backup: { workers: 50, cores: 2 },
      cpuCostMs: { accept: 0.2, allocate: 0.3, issue: 0.3, deliver: 0.2, retry: 0.2 },
      hopMs: "2ms",
    },
    drain: "20s",
    window: "1s",
    thresholds: { duplicate_cards: ["count==0"] },
  }),
);

describe("rushhour gate on simulated runs", () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "rushhour-simgate-"));
    const run = async (sub: string, role: "baseline" | "candidate", seed: number) => {
      const [result] = await runSimulated(small, { roles: [role], replications: 3, seed, command: ["test"] });
      // Same file name on both sides, so the gate pairs them by scenario.
      writeRunResult(join(dir, sub, "small-outage.json"), result!);
    };
    await run("base", "candidate", 1);
    await run("rerun", "candidate", 2);
    await run("worse", "baseline", 1);
  });
  afterEach(() => vi.restoreAllMocks());

  const gate = async (candidate: string) => {
    vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const code = await main(["gate", "--baseline", join(dir, "base"), "--candidate", join(dir, candidate)]);
    return { code, err: err.mock.calls.map((c) => String(c[0])).join("") };
  };

  it("passes a rerun of the baseline with other seeds", async () => {
    const { code, err } = await gate("rerun");
    expect(err).toBe("");
    expect(code).toBe(0);
  });

  it("fails a clearly worse candidate (legacy in place of adaptive) and says why in one line", async () => {
    const { code, err } = await gate("worse");
    expect(code).toBe(1);
    expect(err).toMatch(
      /^FAIL small-outage: P99 regressed \+\d+% \[95% CI \+\d+%, \+\d+%\] \(.* -> .*\), beyond the allowed \+5\.0%$/m,
    );
  });
});
