// The CPU fit of `rushhour calibrate` (workflows/calibrate.ts buildProfile) on known measurements: the slope
// of CPU against completed orders is the cost per order, split over the stages in the scenario's proportions;
// saturated steps stay out of the fit; fewer than two usable steps is an error that says what was seen.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { RunResult } from "../../results/run-result.ts";
import { loadScenario } from "../../scenarios/define.ts";
import { buildProfile, CalibrateError, serverLoopOver } from "../../workflows/calibrate.ts";

const TINY = fileURLToPath(new URL("./fixtures/twin-tiny.ts", import.meta.url));

const timings = [
  { name: "provider.p1", count: 10, meanMs: 6, quantilesMs: Array.from({ length: 101 }, (_, i) => i) },
  { name: "store.claim", count: 10, meanMs: 1.25, quantilesMs: [] },
];

/** A step of `seconds` at `perSecond` completed orders: 20 ms/s idle plus `msPerOrder` per order. */
function step(rate: number, perSecond: number, msPerOrder: number, submitted = perSecond * 10) {
  const seconds = 10;
  const completed = perSecond * seconds;
  return {
    rate,
    completed,
    submitted,
    seconds,
    serverMs: (20 + msPerOrder * perSecond) * seconds,
    // Four fifths of it on the event loop (the rest: garbage collection and the thread pool).
    serverLoopMs: 0.8 * (20 + msPerOrder * perSecond) * seconds,
    driverMs: 0.1 * completed,
    farmMs: 0.3 * completed,
    operations: timings,
  };
}

describe("calibrate's CPU fit", () => {
  it("takes the slope as the cost per order and splits it in the scenario's stage proportions", async () => {
    const scenario = await loadScenario(TINY);
    const p = buildProfile(
      { scenario, store: "memory" },
      [step(100, 100, 0.5), step(300, 300, 0.5), step(500, 500, 0.5)],
      0.4,
      true,
    );
    // The scenario's defaults: accept 0.2, allocate 0.3, issue 0.3, deliver 0.2 (a total of 1.0), retry 0.2.
    expect(p.cpu.stageMs).toEqual({ accept: 0.1, allocate: 0.15, issue: 0.15, deliver: 0.1, retry: 0.1 });
    // Per completed order at 100/s: 0.5 + 20/100 = 0.7 ms, which the fit predicts exactly.
    expect(p.cpu.steps[0]).toMatchObject({
      serverMsPerOrder: 0.7,
      serverLoopMsPerOrder: 0.56,
      fittedServerMsPerOrder: 0.7,
    });
    expect(p.cpu.rmsResidualMs).toBe(0);
    expect(p.cpu.colocated).toEqual({
      machineCores: expect.any(Number),
      driverMsPerOrder: 0.1,
      farmMsPerOrder: 0.3,
    });
    expect(p.store.claimMs).toBe(1.25);
    expect(p.providers.p1!.values).toHaveLength(101);
    expect(p.hopMs).toBe(0.4);
  });

  it("leaves a saturated step out of the fit, and refuses when fewer than two steps remain", async () => {
    const scenario = await loadScenario(TINY);
    // 1000/s offered, 200/s completed at 5 ms each: the CPU of orders that never finished.
    // Its timings (cumulative, taken after it) hold its queueing: the profile must not take them.
    const saturated = {
      ...step(1000, 200, 5, 10_000),
      operations: [{ name: "store.claim", count: 20, meanMs: 99, quantilesMs: [] }],
    };
    const p = buildProfile(
      { scenario, store: "sqlite", targets: ["10.0.0.5:50051"] },
      [step(100, 100, 0.5), step(300, 300, 0.5), saturated],
      0.4,
      false,
    );
    expect(p.cpu.steps.map((s) => s.rate)).toEqual([100, 300]);
    expect(p.cpu.stageMs.issue).toBe(0.15);
    expect(p.cpu.colocated).toBeNull();
    expect(p.store.claimMs).toBe(1.25);
    expect(() =>
      buildProfile(
        { scenario, store: "sqlite", targets: ["10.0.0.5:50051"] },
        [step(100, 100, 0.5), saturated],
        0.4,
        true,
      ),
    ).toThrow(
      new CalibrateError(
        "--rates: a CPU fit needs 2 steps that completed at least 90% of their orders, got 1 (100/s: 1000 of 1000, 1000/s: 2000 of 10000); give lower rates",
      ),
    );
  });

  it("takes the services' latencies at the lowest rate, before the server's own busy loop is in them", async () => {
    const scenario = await loadScenario(TINY);
    // Cumulative timings after the top step: p1 as the server saw it with its event loop near 100% busy.
    const busy = {
      ...step(500, 500, 0.5),
      operations: [
        {
          name: "provider.p1",
          count: 60,
          meanMs: 40,
          quantilesMs: Array.from({ length: 101 }, (_, i) => 30 + i),
        },
        { name: "store.claim", count: 60, meanMs: 3, quantilesMs: [] },
      ],
    };
    const p = buildProfile({ scenario, store: "memory" }, [step(100, 100, 0.5), busy], 0.4, true);
    expect(p.providers.p1!.values[50]).toBe(50);
    expect(p.store.claimMs).toBe(1.25);
  });

  it("reads the event loop's time per order over the traffic's windows and the orders they delivered", () => {
    // 3 s of traffic in 1 s windows at 80% busy, 400 orders each; then a drain window (idle timers, few
    // orders) that is not the traffic's. 2,400 ms over 1,200 orders = 2 ms an order, times 1,250 completed.
    const w = (t: number, eventLoop: number, delivered: number) => ({ t, eventLoop, delivered });
    const r = {
      windowSeconds: 1,
      series: [w(0, 0.8, 400), w(1, 0.8, 400), w(2, 0.8, 400), w(3, 0.3, 50)],
    } as unknown as RunResult; // only the fields serverLoopOver reads
    expect(serverLoopOver(r, 3000, 1250)).toBeCloseTo(2 * 1250, 6);
    const none = { windowSeconds: 1, series: [{ t: 0, delivered: 10 }] } as unknown as RunResult;
    expect(serverLoopOver(none, 3000, 10)).toBeNull();
  });
});
