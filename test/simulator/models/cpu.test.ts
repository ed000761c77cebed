// The CPU model (simulator/models/cpu.ts): processors serve CPU demand FIFO, an order waits for its
// stages' CPU, so a saturated cluster slows orders down; more cores or less colocated demand do not.
import { describe, expect, it } from "vitest";
import { LatencyHistogram } from "../../../results/histogram.ts";
import { validateScenario } from "../../../scenarios/define.ts";
import { presetConfig } from "../../../server/core/config.ts";
import type { OrderView } from "../../../server/core/types.ts";
import { VirtualEnvironment } from "../../../simulator/kernel/virtual-env.ts";
import { curveMsPerOrder, Processors, pauseLength } from "../../../simulator/models/cpu.ts";
import { runReplication } from "../../../simulator/replication.ts";

describe("Processors", () => {
  it("serves jobs first come first served on the first free processor and books busy time per window", () => {
    const env = new VirtualEnvironment(1);
    const cpu = new Processors(env, 2, 2, 10);
    const done: string[] = [];
    for (const name of ["a", "b", "c"]) cpu.run(4, () => done.push(`${name}@${env.now()}`));
    cpu.run(3); // background: occupies a processor, nobody waits for it
    cpu.run(1, () => done.push(`d@${env.now()}`));
    env.runAll();
    // a, b start at once; c takes the first processor free (4); the background job the next (4);
    // d waits behind them both and starts at 7.
    expect(done).toEqual(["a@4", "b@4", "c@8", "d@8"]);
    // 4 + 4 + 4 + 3 + 1 = 16 ms busy in [0, 10) of 2 x 10 ms.
    expect(cpu.utilisation(0, 10)).toBeCloseTo(0.8, 12);
    expect(cpu.utilisation(10, 10)).toBe(0);
  });

  it("splits a job across windows, and fractional cores are slower processors", () => {
    const env = new VirtualEnvironment(1);
    const cpu = new Processors(env, 1.5, 1.5, 10); // 2 processors at 0.75 of a core each
    let finished = -1;
    cpu.run(12, () => {
      finished = env.now();
    });
    env.runAll();
    expect(finished).toBe(16);
    expect(cpu.utilisation(0, 10)).toBeCloseTo(10 / 20, 12);
    expect(cpu.utilisation(10, 10)).toBeCloseTo(6 / 20, 12);
  });

  it("books no work after the run's end (a short last window stays within its capacity)", () => {
    const env = new VirtualEnvironment(1);
    const cpu = new Processors(env, 1, 1, 10, 15);
    cpu.run(12);
    cpu.run(12);
    expect(cpu.utilisation(0, 10)).toBe(1);
    expect(cpu.utilisation(10, 5)).toBe(1);
  });

  it("hands an answer from outside on once the work queued before it is served, taking no CPU itself", () => {
    const env = new VirtualEnvironment(1);
    const cpu = new Processors(env, 1, 1, 10);
    const read: number[] = [];
    cpu.run(6); // the loop is busy until 6
    cpu.after(() => read.push(env.now()));
    env.runAll();
    expect(read).toEqual([6]);
    // A free loop reads it at once, with no event.
    cpu.after(() => read.push(env.now()));
    expect(read).toEqual([6, 6]);
    expect(env.pending).toBe(0);
    expect(cpu.utilisation(0, 10)).toBeCloseTo(0.6, 12);
  });

  it("goes round in turns: each pays the wake once, for the work that arrived before it began", () => {
    const env = new VirtualEnvironment(1);
    const cpu = new Processors(env, 1, 1, 100);
    cpu.setWakeMs(2);
    const done: string[] = [];
    // The loop has been idle since 0: at 1 the first job begins a turn (2 + 3 ms).
    env.schedule(1, () => {
      cpu.run(3, () => {
        done.push(`a@${env.now()}`);
        // Handed on by a job's callback: the same turn, no wake.
        cpu.run(1, () => done.push(`a2@${env.now()}`));
      });
      // Arrived as the turn began: served in it, no wake.
      cpu.run(1, () => done.push(`b@${env.now()}`));
    });
    // Arrived while that turn runs: the next turn, which begins when the queued work is done, pays the wake...
    env.schedule(3, () => cpu.run(1, () => done.push(`d@${env.now()}`)));
    // ...once, for everything that arrived before it began.
    env.schedule(4, () => cpu.run(1, () => done.push(`e@${env.now()}`)));
    // A pause wakes nothing an order waits for.
    env.schedule(20, () => cpu.run(5, undefined, 1, false));
    // An answer at an idle loop is read after a wake; what its reader hands on shares that turn.
    env.schedule(40, () =>
      cpu.after(() => {
        done.push(`c@${env.now()}`);
        cpu.run(1, () => done.push(`c2@${env.now()}`));
      }),
    );
    env.runAll();
    // a: 1 + 2 + 3 = 6; b at 7; d's turn: 7 + 2 + 1 = 10; e at 11; a2, handed on at 6, queued behind them
    // at 12; the pause 20-25; c read at 42, c2 at 43.
    expect(done).toEqual(["a@6", "b@7", "d@10", "e@11", "a2@12", "c@42", "c2@43"]);
    expect(cpu.wakes).toBe(3);
    // Busy: 3 wakes (6) + 3 + 1 + 1 + 1 + 1 + 5 + 1 = 19 ms of 100.
    expect(cpu.utilisation(0, 100)).toBeCloseTo(0.19, 12);
  });

  it("runs zero work at once, without an event", () => {
    const env = new VirtualEnvironment(1);
    const cpu = new Processors(env, 1, 1, 10);
    let ran = false;
    cpu.run(0, () => {
      ran = true;
    });
    expect(ran).toBe(true);
    expect(env.pending).toBe(0);
  });
});

interface Run {
  rate: number;
  cores?: number;
  processors?: number;
  cpuCurve?: {
    rate: number;
    msPerOrder: number;
    loopMsPerOrder?: number;
    pausesPerOrder?: number;
    pauseMs?: number;
    pauseCv?: number;
  }[];
  colocatedMsPerOrder?: number;
  /** The loop-turn fit (cluster.loopWake). */
  loopWake?: { wakeMs: number; orderMs: number };
  zeroCost?: boolean;
  /** Workers (default: far beyond the load) and CPU per second of waiting. */
  workers?: number;
  waitPerSecond?: number;
  /** The replication's seed (default 1). */
  seed?: number;
  /** Sees each delivered order's terminal view. */
  onDelivered?: (view: OrderView) => void;
  /** A risk service answering every check in 5 ms. */
  risk?: boolean;
}

/**
 * One replication of a plain queue: one provider answering in 10 ms with ample capacity, workers and
 * queue far beyond the load, so the only resource that can run out is the CPU: 1 ms per order
 * (accept + allocate + issue + deliver), i.e. 1,000 orders/s per core.
 */
function simulate(r: Run) {
  const cost = r.zeroCost ? 0 : 0.25;
  const scenario = validateScenario({
    name: "cpu",
    seed: 7,
    traffic: { executor: "constant-arrival-rate", rate: r.rate, duration: "4s" },
    vipShare: 0,
    providers: [{ id: "p", latency: { dist: "deterministic", value: 10 }, capacity: 10_000, errorRate: 0 }],
    ...(r.risk ? { risk: { latency: { dist: "deterministic", value: 5 }, capacity: 10_000 } } : {}),
    cluster: {
      primary: {
        workers: r.workers ?? 5000,
        cores: r.cores ?? 1,
        ...(r.processors === undefined ? {} : { processors: r.processors }),
      },
      backup: { workers: 1, cores: 1 },
      cpuCostMs: {
        accept: cost,
        allocate: cost,
        issue: cost,
        deliver: cost,
        retry: 0,
        waitPerSecond: r.waitPerSecond ?? 0,
      },
      colocatedMsPerOrder: r.colocatedMsPerOrder ?? 0,
      ...(r.cpuCurve === undefined ? {} : { cpuCurve: r.cpuCurve }),
      ...(r.loopWake === undefined ? {} : { loopWake: r.loopWake }),
    },
    drain: "10s",
    window: "500ms",
  });
  const legacy = presetConfig("legacy")!;
  const config = {
    ...legacy,
    provider: { ...legacy.provider, timeoutMs: 1e9, slowCallMs: 1e9 },
    lanes: { ...legacy.lanes, default: { workers: 5000, queueCapacity: 1e9 } },
    prewarm: { ...legacy.prewarm, enabled: false },
  };
  const coreLatency = LatencyHistogram.create();
  const out = runReplication({
    scenario,
    traffic: scenario.traffic,
    cluster: scenario.cluster,
    config,
    seed: r.seed ?? 1,
    detailed: true,
    onTerminal: (view) => {
      if (view.state !== "DELIVERED") return;
      coreLatency.record(view.finishedAt! - view.submittedAt);
      r.onDelivered?.(view);
    },
  });
  // Windows while traffic runs, past the first (the backlog starts empty).
  const loaded = out.windows.filter((w) => w.t >= 0.5 && w.t < 4).map((w) => w.cpu.primary ?? 0);
  return { out, coreLatency, cpu: loaded.reduce((a, b) => a + b, 0) / loaded.length };
}

/** What a histogram says (encodings differ with internal array sizes, so they are not compared). */
function shape(h: LatencyHistogram) {
  return { count: h.count, mean: h.mean, max: h.max, p: [50, 90, 99, 99.9].map((p) => h.percentile(p)) };
}

describe("a saturated CPU slows orders down", () => {
  it("below its cores, orders pay their CPU and little queueing; past them, P99 grows with the rate", () => {
    const light = simulate({ rate: 500 });
    const over = simulate({ rate: 1100 });
    const further = simulate({ rate: 1300 });
    expect(light.out.counters.delivered).toBe(light.out.counters.submitted);
    // 10 ms at the provider + 1 ms of CPU, some CPU queueing at 50% utilisation.
    expect(light.out.summary.p99).toBeLessThan(20);
    expect(light.cpu).toBeGreaterThan(0.45);
    expect(light.cpu).toBeLessThan(0.55);
    // Past the core's 1,000 orders/s the backlog grows for as long as the traffic lasts.
    expect(over.cpu).toBeGreaterThan(0.99);
    expect(further.cpu).toBeGreaterThan(0.99);
    expect(over.out.summary.p99).toBeGreaterThan(200);
    expect(further.out.summary.p99).toBeGreaterThan(2 * over.out.summary.p99);
    // Every order is still served: the drain empties the backlog.
    expect(further.out.counters.delivered).toBe(further.out.counters.submitted);
  });

  it("the same load on twice the cores stays fast", () => {
    const one = simulate({ rate: 1300 });
    const two = simulate({ rate: 1300, cores: 2 });
    expect(two.cpu).toBeGreaterThan(0.6);
    expect(two.cpu).toBeLessThan(0.7);
    expect(two.out.summary.p99).toBeLessThan(25);
    expect(one.out.summary.p99).toBeGreaterThan(20 * two.out.summary.p99);
  });

  it("colocated driver and farm take cores from the primary and move the knee down", () => {
    // They take 0.5 ms x 800/s = 0.4 of the one core: the server has 0.6 left for 0.8 of demand.
    const alone = simulate({ rate: 800 });
    const shared = simulate({ rate: 800, colocatedMsPerOrder: 0.5 });
    expect(alone.cpu).toBeLessThan(0.85);
    expect(alone.out.summary.p99).toBeLessThan(40);
    // The server's own CPU is what is left to it (a live server's CPU series counts its process only).
    expect(shared.cpu).toBeGreaterThan(0.57);
    expect(shared.cpu).toBeLessThan(0.63);
    expect(shared.out.summary.p99).toBeGreaterThan(200);
  });

  it("one event loop on a two-core machine saturates at one core and reads half the machine", () => {
    const loop = simulate({ rate: 1300, cores: 2, processors: 1 });
    expect(loop.cpu).toBeGreaterThan(0.49);
    expect(loop.cpu).toBeLessThanOrEqual(0.5 + 1e-9);
    expect(loop.out.summary.p99).toBeGreaterThan(200);
    const loops = simulate({ rate: 1300, cores: 2, processors: 2 });
    expect(loops.out.summary.p99).toBeLessThan(25);
  });

  it("a measured CPU curve sets the CPU an order costs at the rate it arrives at", () => {
    // 2 ms per order at 100/s (200 ms/s), 1 ms at 400/s (400 ms/s): at 250/s, 300 ms/s; at 600/s, the
    // curve's marginal cost (200 ms/s per 300 orders/s) adds 133 ms/s to 400.
    const cpuCurve = [
      { rate: 100, msPerOrder: 2 },
      { rate: 400, msPerOrder: 1 },
    ];
    expect(curveMsPerOrder(cpuCurve, 50)).toBe(2);
    expect(curveMsPerOrder(cpuCurve, 250)).toBeCloseTo(300 / 250, 12);
    expect(curveMsPerOrder(cpuCurve, 600)).toBeCloseTo((400 + (200 / 300) * 200) / 600, 12);
    const mid = simulate({ rate: 250, cpuCurve });
    expect(mid.cpu).toBeGreaterThan(0.28);
    expect(mid.cpu).toBeLessThan(0.32);
    const high = simulate({ rate: 600, cpuCurve });
    expect(high.cpu).toBeGreaterThan(0.5);
    expect(high.cpu).toBeLessThan(0.56);
  });

  it("with the loop-turn fit, a busy loop's turns serve many orders each, so it keeps up where the curve's cost would not", () => {
    // 2.5 ms of loop an order at 100/s, as a calibration reads it: 0.5 ms of its own work (orderMs) and
    // two wakes of 1 ms (its arrival and the provider's answer, 10 ms apart: each finds the loop idle; the
    // reply is handed on by the answer's turn).
    const cpuCurve = [{ rate: 100, msPerOrder: 2.5 }];
    const loopWake = { wakeMs: 1, orderMs: 0.5 };
    const low = simulate({ rate: 100, cpuCurve, loopWake });
    expect(low.cpu).toBeGreaterThan(0.24);
    expect(low.cpu).toBeLessThan(0.26);
    // At 1,200/s the curve's 2.5 ms an order would need three loops. With the fit the orders' own work is
    // 600 ms/s and the loop goes round back to back, each turn serving what arrived during the last: busy
    // nearly all the time, as a live loop near its knee reads, yet every order is served within a few turns.
    const high = simulate({ rate: 1200, cpuCurve, loopWake });
    expect(high.cpu).toBeGreaterThan(0.85);
    expect(high.out.counters.delivered).toBe(high.out.counters.submitted);
    expect(high.out.summary.p99).toBeLessThan(60);
    const curveOnly = simulate({ rate: 1200, cpuCurve });
    expect(curveOnly.out.summary.p99).toBeGreaterThan(1000);
  });

  it("only the event loop's share of the curve queues orders; the CPU series counts the whole process", () => {
    // Half of each order's CPU on the loop: at 1,500/s the process needs 1,133 ms/s (more than its one
    // loop could give), the loop 567 ms/s.
    const split = [
      { rate: 100, msPerOrder: 2, loopMsPerOrder: 1 },
      { rate: 400, msPerOrder: 1, loopMsPerOrder: 0.5 },
    ];
    const whole = split.map(({ rate, msPerOrder }) => ({ rate, msPerOrder }));
    const loop = simulate({ rate: 1500, cores: 2, processors: 1, cpuCurve: split });
    expect(loop.cpu).toBeGreaterThan(1100 / 2000 - 0.03);
    expect(loop.cpu).toBeLessThan(1133 / 2000 + 0.03);
    expect(loop.out.summary.p99).toBeLessThan(25);
    const saturated = simulate({ rate: 1500, cores: 2, processors: 1, cpuCurve: whole });
    expect(saturated.out.summary.p99).toBeGreaterThan(200);
  });

  it("the loop's pauses (garbage collection) hold up the orders behind them; the CPU stays the same", () => {
    // 0.9 ms an order at 1,000/s on one loop: 90% busy. With a ninth of it as 50 ms pauses (one every 500
    // orders), the same CPU comes in lumps: the ~50 orders that arrive during a pause wait for its rest,
    // and the ~40 ms of work they bring takes ~200 ms of the spare 19% to clear.
    const even = [{ rate: 1000, msPerOrder: 0.9 }];
    const lumpy = [{ rate: 1000, msPerOrder: 0.9, pausesPerOrder: 0.002, pauseMs: 50 }];
    const smooth = simulate({ rate: 1000, cpuCurve: even });
    const paused = simulate({ rate: 1000, cpuCurve: lumpy });
    expect(Math.abs(paused.cpu - smooth.cpu)).toBeLessThan(0.02);
    // The client's latency: an order that arrives during a pause waits for it before the core sees it.
    expect(paused.out.summary.p95).toBeGreaterThan(smooth.out.summary.p95 + 10);
    expect(paused.out.summary.p99).toBeGreaterThan(smooth.out.summary.p99 + 25);
    // Pauses in only some points of the curve are not a measurement: none are booked.
    const first = { rate: 500, msPerOrder: 0.9 };
    const partial = simulate({ rate: 1000, cpuCurve: [first, ...lumpy] });
    expect(shape(partial.coreLatency)).toEqual(
      shape(simulate({ rate: 1000, cpuCurve: [first, ...even] }).coreLatency),
    );
  });

  it("a service's answer waits for the loop to read it, so the core times the call longer on a busy loop", () => {
    // The risk service answers in exactly 5 ms and costs the loop nothing before the call. Behind the
    // pauses of a loop 90% busy the core reads many answers late, and the later instant is what it times
    // (and judges the service's health by).
    const riskMs = (r: Omit<Run, "rate">) => {
      const h = LatencyHistogram.create();
      simulate({ ...r, rate: 1000, risk: true, onDelivered: (v) => h.record(v.timings.riskMs ?? 0) });
      return h;
    };
    const smooth = riskMs({ cpuCurve: [{ rate: 1000, msPerOrder: 0.9 }] });
    const paused = riskMs({
      cpuCurve: [{ rate: 1000, msPerOrder: 0.9, pausesPerOrder: 0.002, pauseMs: 50 }],
    });
    expect(smooth.percentile(1)).toBeGreaterThanOrEqual(5 - 0.01);
    expect(paused.percentile(99)).toBeGreaterThan(5 + 25);
    expect(paused.percentile(99)).toBeGreaterThan(smooth.percentile(99) + 20);
    // Without CPU the core reads every answer the instant it comes: 5 ms, every check.
    const free = new Set<number>();
    simulate({ rate: 1000, zeroCost: true, risk: true, onDelivered: (v) => free.add(v.timings.riskMs ?? 0) });
    expect(free.size).toBeGreaterThan(0);
    for (const ms of free) expect(ms).toBeCloseTo(5, 9);
  });

  it("orders waiting for a worker cost CPU on the same processors (waitPerSecond)", () => {
    // 5 workers x 10 ms = 500 orders/s against 600 arriving: the queue grows by ~100 a second.
    const quiet = simulate({ rate: 600, workers: 5 });
    const busy = simulate({ rate: 600, workers: 5, waitPerSecond: 5 });
    const last = (r: ReturnType<typeof simulate>) => r.out.windows.find((w) => w.t === 3.5)!.cpu.primary ?? 0;
    // Without waiting CPU the core's 600 orders/s x 1 ms keep it ~60% busy whatever the queue.
    expect(last(quiet)).toBeLessThan(0.65);
    // ~350 waiting x 5 ms/s = 1.75 more processor-seconds per second than the one core has.
    expect(last(busy)).toBeGreaterThan(0.99);
    expect(busy.out.summary.p99).toBeGreaterThan(quiet.out.summary.p99);
  });

  it("with every CPU cost at zero, latency is the core's own (M/M/c stays exact)", () => {
    const zero = simulate({ rate: 1300, zeroCost: true });
    // The replication's histograms leave it decoded (its canonical form): compare like with like.
    expect(shape(zero.out.overall)).toEqual(shape(LatencyHistogram.decode(zero.coreLatency.encode())));
    expect(zero.out.windows.every((w) => w.cpu.primary === 0 && w.cpu.backup === 0)).toBe(true);
    // With costs, clients wait longer than the core's own time: at least accept + deliver (0.5 ms).
    const costly = simulate({ rate: 500 });
    expect(costly.out.overall.mean).toBeGreaterThan(costly.coreLatency.mean + 0.5);
  });
});

describe("pauses whose lengths vary (a calibration's pauseCv)", () => {
  it("are drawn around the measured mean with the measured spread", () => {
    const random = new VirtualEnvironment(3).random("gc-pauses");
    const n = 100_000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const x = pauseLength(40, 0.5, random);
      sum += x;
      sq += x * x;
    }
    const mean = sum / n;
    const cv = Math.sqrt(sq / n - mean * mean) / mean;
    // The mean's standard error is 40 x 0.5 / sqrt(n) = 0.063 ms: 0.4 ms is more than 6 of them.
    expect(Math.abs(mean - 40)).toBeLessThan(0.4);
    expect(Math.abs(cv - 0.5)).toBeLessThan(0.03);
    // Without a spread every pause is the mean, and no number is drawn.
    expect(pauseLength(40, 0, { next: () => Number.NaN })).toBe(40);
  });

  it("hold up the orders behind them longer than pauses of one length with the same mean", () => {
    // 90% busy with a ninth of it as 50 ms pauses (as above). A long pause leaves a backlog that grows with
    // its square, so varied lengths lengthen the tail. Judged over 20 seeds by a sign test: with no effect,
    // 16 or more of 20 happen with probability 0.006 (alpha 0.01).
    const at = (pauseCv: number, seed: number) =>
      simulate({
        rate: 1000,
        seed,
        cpuCurve: [{ rate: 1000, msPerOrder: 0.9, pausesPerOrder: 0.002, pauseMs: 50, pauseCv }],
      });
    let longer = 0;
    let cpuGap = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const fixed = at(0, seed);
      const varied = at(1, seed);
      if (varied.out.summary.p99 > fixed.out.summary.p99) longer++;
      cpuGap += varied.cpu - fixed.cpu;
    }
    expect(longer).toBeGreaterThanOrEqual(16);
    // The same CPU on average: 8 pauses a run, each drawn around 50 ms.
    expect(Math.abs(cpuGap / 20)).toBeLessThan(0.02);
  });
});
