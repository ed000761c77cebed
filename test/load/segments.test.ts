// Sharded load over real gRPC: three shards (load --segment i/3) started at one shared instant against one
// server send together exactly the unsharded run's orders, each shard its stripe of the schedule, and
// `rushhour merge`'s merge of their partial RunResults counts them all once; a shard ready after the shared
// start says by how much.
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { executorFor, runLoad } from "../../load/run-load.ts";
import { LatencyHistogram } from "../../results/histogram.ts";
import { mergeShards } from "../../results/merge.ts";
import { parseRunResult } from "../../results/run-result.ts";
import { validateScenario } from "../../scenarios/define.ts";
import { planFor } from "../../traffic/executors/index.ts";
import { type FixtureServer, startFixtureServer } from "./fixture-server.ts";

let server: FixtureServer;
beforeAll(async () => {
  server = await startFixtureServer({ latencyMs: 5 });
});
afterAll(async () => {
  await server.close();
});

const scenario = validateScenario({
  name: "fixture",
  traffic: {
    executor: "ramping-arrival-rate",
    startRate: 100,
    stages: [{ target: 400, duration: "2s" }],
  },
  providers: [{ id: "p1", latency: { p50: "5ms", p99: "10ms" }, capacity: 10 }],
  cluster: { primary: { workers: 4 }, backup: { workers: 2 } },
  drain: "2s",
  window: "500ms",
  thresholds: { latency: ["p(99)<5000"] },
});
const arm = { name: "adaptive", role: "single" as const, definition: {} };
const target = () => ({ addresses: [server.address], adminToken: null });
const epochNow = () => performance.timeOrigin + performance.now();

describe("sharded load", () => {
  it("send the unsharded schedule's orders, each once, and merge to its counts", async () => {
    const plan = planFor(executorFor(scenario, "single", 1));
    if (plan.model !== "open") throw new Error("open plan expected");
    const before = server.received();
    // Connecting three shards takes well under a second even on a busy machine; a late one is still counted.
    const startAtEpochMs = epochNow() + 1000;
    const shards = await Promise.all(
      [0, 1, 2].map((index) =>
        runLoad({
          scenario,
          arm,
          target: target(),
          durationScale: 1,
          command: ["rushhour", "load", "fixture", "--segment", `${index}/3`],
          segment: { index, count: 3 },
          startAtEpochMs,
        }),
      ),
    );
    expect(server.received() - before).toBe(plan.count);
    // Shard s ran iterations s, s + 3, s + 6, ...: ceil((count - s) / 3) of them.
    expect(shards.map((s) => s.result.counters.submitted)).toEqual(
      [0, 1, 2].map((s) => Math.ceil((plan.count - s) / 3)),
    );
    expect(shards.map((s) => s.result.shard?.iterations)).toEqual(
      shards.map((s) => s.result.counters.submitted),
    );
    const [merged] = mergeShards(
      shards.map((s, i) => ({
        source: `shard-${i}`,
        result: parseRunResult(JSON.parse(JSON.stringify(s.result))),
      })),
    );
    expect(merged!.counters).toMatchObject({ submitted: plan.count, delivered: plan.count, dropped: 0 });
    expect(merged!.series.reduce((n, w) => n + w.submitted, 0)).toBe(plan.count);
    expect(LatencyHistogram.decode(merged!.histograms.overall).count).toBe(plan.count);
    expect(merged!.thresholds.map((t) => t.pass)).toEqual([true]);
  });

  it("records how late a shard was ready after the shared start", async () => {
    const { result } = await runLoad({
      scenario,
      arm,
      target: target(),
      durationScale: 0.25,
      command: ["x"],
      segment: { index: 1, count: 2 },
      startAtEpochMs: epochNow() - 2000,
    });
    expect(result.shard?.lateStartMs).toBeGreaterThanOrEqual(2000);
    expect(
      result.events.find((e) => e.kind === "note" && e.data?.lateStartMs !== undefined)?.message,
    ).toMatch(/this shard started \d+ ms after the shared --start-at/);
  });
});
