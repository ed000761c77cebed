// runLoad against the gRPC fixture with --target semantics (no admin token): thresholds judged on the
// merged histograms, abortOnFail stopping early, and the RunResult passing the shared schema.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { executorFor, runLoad } from "../../load/run-load.ts";
import { parseRunResult } from "../../results/run-result.ts";
import { type Scenario, validateScenario } from "../../scenarios/define.ts";
import { type FixtureServer, startFixtureServer } from "./fixture-server.ts";

let server: FixtureServer;
beforeAll(async () => {
  server = await startFixtureServer({ latencyMs: 5 });
});
afterAll(async () => {
  await server.close();
});

function scenario(extra: Record<string, unknown>): Scenario {
  return validateScenario({
    name: "fixture",
    traffic: { executor: "constant-arrival-rate", rate: 50, duration: "2s" },
    providers: [{ id: "p1", latency: { p50: "5ms", p99: "10ms" }, capacity: 10 }],
    cluster: { primary: { workers: 4 }, backup: { workers: 2 } },
    drain: "2s",
    window: "500ms",
    ...extra,
  });
}

const arm = { name: "adaptive", role: "single" as const, definition: {} };
const target = () => ({ addresses: [server.address], adminToken: null });

describe("runLoad", () => {
  it("writes a valid RunResult and judges thresholds over the whole run", async () => {
    const s = scenario({ thresholds: { latency: ["p(99)<5000", "p(50)<1"], errors: ["rate<0.01"] } });
    const { result, aborted } = await runLoad({
      scenario: s,
      arm,
      target: target(),
      durationScale: 1,
      command: ["x"],
    });
    expect(aborted).toBeNull();
    expect(() => parseRunResult(JSON.parse(JSON.stringify(result)))).not.toThrow();
    expect(result.counters).toMatchObject({ submitted: 100, delivered: 100, dropped: 0, failed: 0 });
    expect(result.series.length).toBeGreaterThanOrEqual(4);
    expect(result.series.reduce((n, w) => n + w.delivered, 0)).toBe(100);
    expect(result.thresholds.map((t) => [t.expression, t.pass])).toEqual([
      ["p(99)<5000", true],
      ["p(50)<1", false],
      ["rate<0.01", true],
    ]);
    expect(result.summary.p50.mean).toBeGreaterThanOrEqual(5);
  });

  it("counts goodput against the scenario's latency objective, by submission window, and the business rows", async () => {
    const run = async (latency: string) =>
      (
        await runLoad({
          scenario: scenario({ objective: { latency } }),
          arm,
          target: target(),
          durationScale: 1,
          command: ["x"],
        })
      ).result;
    const generous = await run("5s");
    const sum = (r: typeof generous, f: (w: (typeof r.series)[number]) => number | undefined) =>
      r.series.reduce((n, w) => n + (f(w) ?? Number.NaN), 0);
    expect(generous.counters).toMatchObject({
      delivered: 100,
      onTime: 100,
      interventions: 0,
      complaintRisk: 0,
    });
    expect(sum(generous, (w) => w.onTime)).toBe(100);
    // 50 orders/s offered for 2 s: the mean over the traffic is 50/s, and no window's goodput is far above it.
    expect(generous.summary.goodputMean!.mean).toBe(50);
    expect(generous.summary.goodputPeak!.mean).toBeLessThanOrEqual(100);
    expect(generous.business).toMatchObject({ ordersPerDay: 50 * 86_400, objective: { latencyMs: 5000 } });
    // The fixture answers in 5 ms: with a 1 ms objective nothing is goodput, though everything was delivered.
    const strict = await run("1ms");
    expect(strict.counters).toMatchObject({ delivered: 100, onTime: 0 });
    expect(strict.summary.goodputPeak!.mean).toBe(0);
    expect(strict.summary.throughputPeak.mean).toBeGreaterThan(0);
  });

  it("scales every duration with durationScale", async () => {
    const s = scenario({});
    const { result } = await runLoad({
      scenario: s,
      arm,
      target: target(),
      durationScale: 0.5,
      command: ["x"],
    });
    expect(result.counters.submitted).toBe(50);
  });

  it("stops early when a threshold marked abortOnFail fails", async () => {
    const s = scenario({
      traffic: { executor: "constant-arrival-rate", rate: 50, duration: "20s" },
      thresholds: { latency: ["p(99)<1"], errors: ["rate<0.5"] },
      live: { abortOnFail: ["latency"], delayAbortEval: "1s" },
    });
    const { result, aborted } = await runLoad({
      scenario: s,
      arm,
      target: target(),
      durationScale: 1,
      command: ["x"],
    });
    expect(aborted).toMatch(/^latency p\(99\)<1 failed at/);
    expect(result.counters.submitted).toBeLessThan(500);
    expect(result.thresholds.find((t) => t.metric === "latency")?.pass).toBe(false);
  });
});

it("aborts every engine process, and still merges what they measured", async () => {
  const s = scenario({
    traffic: { executor: "constant-arrival-rate", rate: 60, duration: "20s" },
    thresholds: { errors: ["count<0"] },
    live: { abortOnFail: true, delayAbortEval: "1s", workers: 2 },
  });
  const { result, aborted } = await runLoad({
    scenario: s,
    arm,
    target: target(),
    durationScale: 1,
    command: ["x"],
  });
  expect(aborted).toMatch(/^errors count<0 failed at/);
  expect(result.counters.submitted).toBeGreaterThan(0);
  expect(result.counters.submitted).toBeLessThan(600);
  expect(result.counters.delivered + (result.counters.unfinished ?? 0)).toBe(result.counters.submitted);
});

describe("executorFor", () => {
  it("scales stages and applies live VU limits and the drain as gracefulStop", () => {
    const s = scenario({
      traffic: { executor: "ramping-arrival-rate", stages: [{ target: 10, duration: "10s" }] },
      live: { maxVUs: 7, preAllocatedVUs: 3 },
      drain: "4s",
    });
    expect(executorFor(s, "single", 0.5)).toMatchObject({
      executor: "ramping-arrival-rate",
      stages: [{ target: 10, duration: 5000 }],
      maxVUs: 7,
      preAllocatedVUs: 3,
      gracefulStop: 2000,
    });
  });
});
