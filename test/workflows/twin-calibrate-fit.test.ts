// The CPU fit of `rushhour calibrate` (workflows/calibrate.ts buildProfile) on known measurements: the slope
// of CPU against completed orders is the cost per order, split over the stages in the scenario's proportions;
// saturated steps stay out of the fit; fewer than two usable steps is an error that says what was seen.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { LatencyHistogram } from "../../results/histogram.ts";
import type { RunResult } from "../../results/run-result.ts";
import { calibratedCluster } from "../../scenarios/calibration-apply.ts";
import { loadScenario } from "../../scenarios/define.ts";
import { resolveArm } from "../../workflows/arms.ts";
import {
  buildProfile,
  CalibrateError,
  serverLoopOver,
  stepLoopSchedule,
  stepPauses,
  stepTimings,
  wholePipeline,
} from "../../workflows/calibrate.ts";
import { fitLoopTurns } from "../../workflows/calibrate-turns.ts";
import { fitWaitingCost, type WindowLoad, windowLoads } from "../../workflows/calibrate-waiting.ts";

const TINY = fileURLToPath(new URL("./fixtures/twin-tiny.ts", import.meta.url));

const timings = [
  {
    name: "provider.p1",
    count: 10,
    meanMs: 6,
    quantilesMs: Array.from({ length: 101 }, (_, i) => i),
    histogram: "",
  },
  { name: "store.claim", count: 10, meanMs: 1.25, quantilesMs: [], histogram: "" },
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
    // One 30 ms collection every 250 orders, their lengths spread by half their mean.
    gc: { pauses: completed / 250, ms: (completed / 250) * 30, cv: 0.5 },
    windows: [] as WindowLoad[],
    // The server's loop waited 20 ms a second for a core (null: a server that does not say).
    loopWaitMsPerSecond: 20 as number | null,
    // Its thread ran on a core for three quarters of the server's CPU (null: a server that does not say).
    loopCpuMsPerSecond: (0.75 * (20 + msPerOrder * perSecond)) as number | null,
    // Its loop went round twice an order (null: a server that does not say).
    loopTurnsPerSecond: (2 * perSecond) as number | null,
  };
}

describe("calibrate's steps", () => {
  it("run the scenario's configuration with health tracking off, so every order takes every stage", async () => {
    const adaptive = resolveArm(await loadScenario("promo-peak")).config;
    expect(adaptive.health.enabled).toBe(true);
    const held = wholePipeline(adaptive);
    expect(held.health.enabled).toBe(false);
    // Nothing else moves: the same risk stage, timeouts, lanes and routing are measured.
    expect({ ...held, health: adaptive.health }).toEqual(adaptive);
  });
});

describe("calibrate's pauses", () => {
  it("reads a step's pauses, and how much their lengths vary, from two cumulative snapshots", () => {
    // Before: one 20 ms pause. Then four of 10, 30, 50 and 70 ms: mean 40, standard deviation sqrt(500).
    const before = { gcPauses: 1, gcPauseMs: 20, gcPauseSqMs: 400 };
    const after = { gcPauses: 5, gcPauseMs: 180, gcPauseSqMs: 400 + 100 + 900 + 2500 + 4900 };
    const step = stepPauses(before, after);
    expect(step.pauses).toBe(4);
    expect(step.ms).toBe(160);
    expect(step.cv).toBeCloseTo(Math.sqrt(500) / 40, 6);
    // A server too old to report the squares: the spread is unknown, not zero.
    expect(stepPauses({ gcPauses: 1, gcPauseMs: 20 }, { gcPauses: 5, gcPauseMs: 180 }).cv).toBeNull();
  });
});

describe("calibrate's wait for a CPU core", () => {
  it("reads how long the server's loop waited for a core per second between two snapshots", () => {
    // Over the step's 10 s of traffic (the snapshots' counters may span more: the last answers, the start).
    expect(stepLoopSchedule({ loopWaitMs: 100 }, { loopWaitMs: 1_600 }, 10).wait).toBe(150);
    // A server that does not report it (another system, an older server): unknown, not 0.
    expect(stepLoopSchedule({}, {}, 10).wait).toBeNull();
  });

  it("keeps each step's wait in the profile, and none for a step that has none", async () => {
    const scenario = await loadScenario(TINY);
    const p = buildProfile(
      { scenario, store: "memory" },
      [step(100, 100, 0.5), { ...step(400, 400, 0.5), loopWaitMsPerSecond: null }],
      0.4,
      true,
    );
    expect(p.cpu.steps.map((s) => s.loopWaitMsPerSecond)).toEqual([20, undefined]);
  });
});

describe("calibrate's loop CPU", () => {
  it("reads how long the server's loop ran on a core per second between two snapshots", () => {
    expect(
      stepLoopSchedule({ loopCpuMs: 1_000, loopWaitMs: 50 }, { loopCpuMs: 8_500, loopWaitMs: 2_050 }, 10),
    ).toEqual({ cpu: 750, wait: 200, turns: null });
    // And how many times the loop went round, per second, when the server counts its turns.
    expect(stepLoopSchedule({ loopTurns: 100 }, { loopTurns: 12_100 }, 10).turns).toBe(1_200);
    // A server that does not report it: unknown, not 0; and no traffic seconds, nothing per second.
    expect(stepLoopSchedule({ loopWaitMs: 1 }, { loopWaitMs: 2 }, 10).cpu).toBeNull();
    expect(stepLoopSchedule(undefined, { loopCpuMs: 10 }, 10).cpu).toBeNull();
    expect(stepLoopSchedule({ loopCpuMs: 0 }, { loopCpuMs: 10 }, 0).cpu).toBeNull();
  });

  it("keeps each step's loop CPU in the profile, below its busy time, and none for a step without", async () => {
    const scenario = await loadScenario(TINY);
    const p = buildProfile(
      { scenario, store: "memory" },
      [step(100, 100, 0.5), { ...step(400, 400, 0.5), loopCpuMsPerSecond: null }],
      0.4,
      true,
    );
    const [first, second] = p.cpu.steps;
    // 100/s at 0.5 ms an order plus 20 ms a second: 70 ms of server CPU a second, three quarters on the loop's
    // thread; its busy time is four fifths (56 ms a second).
    expect(first!.loopCpuMsPerSecond).toBeCloseTo(52.5, 4);
    expect(first!.loopCpuMsPerSecond).toBeLessThan((first!.serverLoopMsPerOrder as number) * 100);
    expect(second!.loopCpuMsPerSecond).toBeUndefined();
  });
});

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
      gcPausesPerOrder: 0.004,
      gcPauseMs: 30,
      gcPauseCv: 0.5,
    });
    expect(p.cpu.rmsResidualMs).toBe(0);
    // The simulator gets the spread with the pauses, point by point.
    const curve = calibratedCluster(scenario.cluster, p).cpuCurve ?? [];
    expect(curve.map((c) => [c.pauseMs, c.pauseCv])).toEqual(curve.map(() => [30, 0.5]));
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
      operations: [{ name: "store.claim", count: 20, meanMs: 99, quantilesMs: [], histogram: "" }],
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

  it("takes the services' latencies at the lowest rate only", async () => {
    const scenario = await loadScenario(TINY);
    // The top step's timings: p1 as the server saw it with its event loop busier, its answers read later.
    const busy = {
      ...step(500, 500, 0.5),
      operations: [
        {
          name: "provider.p1",
          count: 60,
          meanMs: 40,
          quantilesMs: Array.from({ length: 101 }, (_, i) => 30 + i),
          histogram: "",
        },
        { name: "store.claim", count: 60, meanMs: 3, quantilesMs: [], histogram: "" },
      ],
    };
    const p = buildProfile({ scenario, store: "memory" }, [step(100, 100, 0.5), busy], 0.4, true);
    expect(p.providers.p1!.values[50]).toBe(50);
    expect(p.store.claimMs).toBe(1.25);
    // Not by rate: the simulator's own loop makes an answer wait longer as the rate grows, and a latency
    // taken at a higher rate would count that wait twice.
    expect(p.providers.p1!.byRate).toBeUndefined();
    expect(p.cpu.steps.map((s) => s.rate)).toEqual([100, 500]);
  });

  it("takes a step's timings as the server's histograms at its end minus those at its start", () => {
    const h = (...ms: number[]) => {
      const x = LatencyHistogram.create();
      for (const v of ms) x.record(v);
      return x.encode();
    };
    const timing = (name: string, histogram: string) => ({
      name,
      count: 0,
      meanMs: 0,
      quantilesMs: [],
      histogram,
    });
    const [p1, claim] = stepTimings(
      [timing("provider.p1", h(10, 10, 10))],
      [timing("provider.p1", h(10, 10, 10, 40, 40)), timing("store.claim", h(2))],
    );
    // p1: only the step's two 40 ms calls; the claim: first timed during the step.
    expect(p1).toMatchObject({ name: "provider.p1", count: 2 });
    expect(p1!.meanMs).toBeCloseTo(40, 1);
    expect(p1!.quantilesMs[0]).toBeCloseTo(40, 1);
    expect(claim).toMatchObject({ name: "store.claim", count: 1 });
    expect(claim!.meanMs).toBeCloseTo(2, 2);
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

describe("calibrate's waiting cost", () => {
  it("reads each traffic window's loop, completions and mean queue from the step's series", () => {
    const w = (t: number, eventLoop: number, delivered: number, errors: number, queued: number) => ({
      t,
      eventLoop,
      delivered,
      errors,
      queueDepth: { vip: 0, default: queued },
    });
    const r = {
      windowSeconds: 1,
      // The drain's window (t = 3) is past the 3 s of traffic: left out.
      series: [w(0, 0.5, 300, 0, 0), w(1, 0.9, 280, 2, 100), w(2, 1, 250, 0, 300), w(3, 0.4, 400, 0, 0)],
    } as unknown as RunResult; // only the fields windowLoads reads
    expect(windowLoads(r, 3000)).toEqual([
      { loopMs: 500, completed: 300, queued: 0, seconds: 1 },
      { loopMs: 900, completed: 282, queued: 50, seconds: 1 },
      { loopMs: 1000, completed: 250, queued: 200, seconds: 1 },
    ]);
  });

  // A server whose loop costs less per order the faster orders come (200 ms/s idle, 0.9 ms an order less
  // 0.0001 ms per order/s: the shape of calibrate's CPU curve), and 0.3 ms a second per queued order, read
  // with a few ms of noise. Five steps keep up (200-1,000/s); two fall behind, their loops near 100% busy
  // with queues growing by 100 orders a second, each window completing what that leaves room for.
  const loopMs = (completed: number, queued: number, k: number, wait = 0.3) =>
    200 + 0.9 * completed - 0.0001 * completed ** 2 + wait * queued + 5 * Math.sin(k * 12.9898);
  const keepingUp = [200, 400, 600, 800, 1000].map((rate, i) =>
    Array.from({ length: 10 }, (_, k): WindowLoad => {
      const completed = rate + 10 * Math.sin((i * 10 + k) * 78.233);
      return { loopMs: loopMs(completed, 0, i * 10 + k), completed, queued: 0, seconds: 1 };
    }),
  );
  const behind = (wait: number) =>
    [0, 1].map((i) =>
      Array.from({ length: 10 }, (_, k): WindowLoad => {
        const queued = 100 * (k + 1) + 50 * i;
        // The completions that fill 985 ms of the loop: 0.0001 c^2 - 0.9 c + (985 - 200 - wait q) = 0.
        const completed = (0.9 - Math.sqrt(0.81 - 0.0004 * (785 - wait * queued))) / 0.0002;
        return { loopMs: loopMs(completed, queued, 50 + i * 10 + k, wait), completed, queued, seconds: 1 };
      }),
    );

  it("fits the loop's ms per second per queued order within each step, not across the rates", () => {
    // The loop's cost per order the profile would take: the line through the steps that kept up.
    const perOrder = 0.9 - 0.0001 * (200 + 1000);
    const fit = fitWaitingCost([...keepingUp, ...behind(0.3)], perOrder);
    expect(fit.msPerSecond).toBeGreaterThan(0.27);
    expect(fit.msPerSecond).toBeLessThan(0.33);
    expect(fit).toMatchObject({ windows: 70, queuedWindows: 20 });
    // Queues that cost nothing read as (nearly) nothing, though the loop's cost per order falls with the rate.
    expect(fitWaitingCost([...keepingUp, ...behind(0)], perOrder).msPerSecond).toBeLessThan(0.03);
  });

  it("leaves the cost at 0 when too few windows held a queue, or the cost per order is unknown", () => {
    const two = [behind(0.3)[0]!.slice(0, 2)];
    expect(fitWaitingCost([...keepingUp, ...two], 0.78)).toEqual({
      msPerSecond: 0,
      windows: 52,
      queuedWindows: 2,
    });
    expect(fitWaitingCost([...keepingUp, ...behind(0.3)], Number.NaN).msPerSecond).toBe(0);
  });

  it("writes the fitted cost into the profile and takes it out of a step's own figures", async () => {
    const scenario = await loadScenario(TINY);
    // The five steps that kept up, the 600/s one with 100 orders queued all through (1,000 order-seconds
    // waiting, 30 ms/s of its loop), and the two that fell behind, which show what a queue costs.
    const kept = (queuedAt600: boolean) =>
      keepingUp.map((windows, i) => {
        const rate = 200 * (i + 1);
        const queued = queuedAt600 && rate === 600;
        return {
          ...step(rate, rate, 0.5),
          windows: queued ? windows.map((w) => ({ ...w, queued: 100, loopMs: w.loopMs + 30 })) : windows,
        };
      });
    const saturated = behind(0.3).map((windows, i) => ({
      ...step(1200 + 100 * i, 900, 0.5, 12_000),
      windows,
    }));
    const p = buildProfile({ scenario, store: "memory" }, [...kept(true), ...saturated], 0.4, true);
    expect(p.cpu.waitPerSecond).toBeGreaterThan(0.27);
    expect(p.cpu.waitPerSecond).toBeLessThan(0.33);
    expect(p.cpu.waitFit).toEqual({ windows: 70, queuedWindows: 30 });
    // Without the steps that fell behind there is nothing to fit: 0, and the steps' figures as measured.
    const plain = buildProfile({ scenario, store: "memory" }, kept(true), 0.4, true);
    expect(plain.cpu.waitPerSecond).toBe(0);
    expect(plain.cpu.waitFit).toEqual({ windows: 50, queuedWindows: 10 });
    const loop = (q: typeof p) => q.cpu.steps.find((s) => s.rate === 600)!.serverLoopMsPerOrder!;
    // 1,000 order-seconds waiting at the fitted cost, over the step's 6,000 orders.
    expect(loop(plain) - loop(p)).toBeCloseTo((p.cpu.waitPerSecond * 1000) / 6000, 3);
  });
});

describe("calibrate's loop-turn fit", () => {
  // A loop whose turn costs 0.25 ms and whose order costs 0.6 ms beyond its turns, with 8 turns an order at
  // 100/s falling to half a turn at 1,000/s as a busy loop serves more in each.
  const turnsPerOrder = (r: number) => 8 - (7.5 * (r - 100)) / 900;
  const measured = (r: number) => ({
    rate: r,
    turnsPerSecond: r * turnsPerOrder(r),
    loopMsPerSecond: 0.25 * r * turnsPerOrder(r) + 0.6 * r,
    callsPerOrder: 3,
  });

  it("separates a turn's cost from an order's and scales it to the simulator's wakes per order", () => {
    const fit = fitLoopTurns([100, 300, 600, 1000].map(measured));
    expect(fit).not.toBeNull();
    expect(fit!.turnMs).toBeCloseTo(0.25, 9);
    expect(fit!.orderMs).toBeCloseTo(0.6, 9);
    expect(fit!.rmsResidualMs).toBeCloseTo(0, 9);
    // 8 live turns an order at the lowest rate, where the simulated loop wakes 4 times (the order and 3
    // answers): each wake stands for 2 turns.
    expect(fit!.turnsPerOrder).toBeCloseTo(8, 9);
    expect(fit!.wakesPerOrder).toBe(4);
    expect(fit!.wakeMs).toBeCloseTo(0.5, 9);
  });

  it("is left out when the steps cannot separate turns from orders", () => {
    expect(fitLoopTurns([measured(100)])).toBeNull();
    // Turns in step with the rate: any split fits.
    const even = [100, 500].map((r) => ({ ...measured(r), turnsPerSecond: 2 * r, loopMsPerSecond: 1.1 * r }));
    expect(fitLoopTurns(even)).toBeNull();
  });

  it("goes into the profile and the simulated cluster only when every kept step counted its turns", async () => {
    const scenario = await loadScenario(TINY);
    const turning = (perSecond: number) => {
      const s = step(perSecond, perSecond, 0.5);
      const m = measured(perSecond);
      // The busy time the fit reads is the loop's less its pauses.
      return { ...s, loopTurnsPerSecond: m.turnsPerSecond, serverLoopMs: m.loopMsPerSecond * 10 + s.gc.ms };
    };
    const steps = [turning(100), turning(400), turning(900)];
    // A saturated step: its loop read busy more than the second (the backlog it served after the traffic
    // counted in), with its turns collapsed. It stays in the CPU curve but out of the turn fit.
    const saturated = { ...step(1400, 1400, 0.5), loopTurnsPerSecond: 140, serverLoopMs: 13_000 };
    const profile = buildProfile({ scenario, store: "sqlite" }, [...steps, saturated], 0.5, true);
    expect(profile.cpu.steps.map((s) => s.rate)).toEqual([100, 400, 900, 1400]);
    const turns = profile.cpu.loopTurns!;
    expect(turns.turnMs).toBeCloseTo(0.25, 3);
    expect(turns.orderMs).toBeCloseTo(0.6, 3);
    // The answers that wake the loop are the provider timings' count per completed order (10 of 1,000).
    expect(turns.wakesPerOrder).toBeCloseTo(1.01, 3);
    expect(calibratedCluster(scenario.cluster, profile).loopWake).toEqual({
      wakeMs: turns.wakeMs,
      orderMs: turns.orderMs,
    });
    const unturned = buildProfile(
      { scenario, store: "sqlite" },
      [...steps.slice(0, 2), { ...steps[2]!, loopTurnsPerSecond: null }],
      0.5,
      true,
    );
    expect(unturned.cpu.loopTurns).toBeUndefined();
    // A scenario calibrated before keeps no wake of an earlier profile's.
    const earlier = calibratedCluster(scenario.cluster, profile);
    expect(calibratedCluster(earlier, unturned).loopWake).toBeUndefined();
  });
});
