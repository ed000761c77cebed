// Validation against queueing theory: a plain M/M/c queue built from the real core (the legacy
// configuration sized to c workers: one FIFO lane, no health, no retries needed) and one provider with
// exponential service and ample capacity. Mean wait in queue and P(wait > t) must fall inside the
// simulation's 95% confidence interval across replications, and Little's law must hold.
import { describe, expect, it } from "vitest";
import { meanCi } from "../../results/intervals.ts";
import { validateScenario } from "../../scenarios/define.ts";
import { presetConfig } from "../../server/core/config.ts";
import type { OrderView } from "../../server/core/types.ts";
import { runReplication } from "../../simulator/replication.ts";
import { replicationSeed } from "../../simulator/runner.ts";

/** Erlang C probability of waiting for c servers at offered load a = lambda / mu. */
function erlangC(c: number, a: number): number {
  let sum = 0;
  let term = 1;
  for (let k = 0; k < c; k++) {
    if (k > 0) term *= a / k;
    sum += term;
  }
  const last = (term * a) / c; // a^c / c!
  const top = last * (c / (c - a));
  return top / (sum + top);
}

interface Case {
  c: number;
  lambda: number;
  mu: number;
  /** Simulated seconds per replication and warm-up discarded. */
  seconds: number;
  warmup: number;
  replications: number;
  /**
   * Each case has its own base seed: with one seed the three cases would share their random numbers
   * (common random numbers) and so their luck. A check "inside the 95% CI" fails for about 1 seed in 20
   * by design; these seeds are fixed so the test is deterministic.
   */
  seed: number;
}

/** `stages`: add a risk and a notification service that answer in 0 ms (they must change nothing). */
function simulateQueue(k: Case, stages = false) {
  const meanServiceMs = 1000 / k.mu;
  const instant = { latency: { dist: "deterministic" as const, value: 0 }, capacity: 10 * k.c };
  const scenario = validateScenario({
    name: "mmc",
    seed: k.seed,
    traffic: { executor: "constant-arrival-rate", rate: k.lambda, duration: k.seconds * 1000 },
    vipShare: 0,
    providers: [
      { id: "exp", latency: { dist: "exponential", mean: meanServiceMs }, capacity: 10 * k.c, errorRate: 0 },
    ],
    ...(stages ? { risk: instant, notification: instant } : {}),
    cluster: { primary: { workers: k.c }, backup: { workers: 1 } },
    // Long enough for every order to finish: only arrivals in [warmup, seconds) are measured.
    drain: 200 * meanServiceMs,
    // Queue length is sampled at window ends for Little's law; sparse samples keep the test fast.
    window: 5 * meanServiceMs,
  });
  const legacy = presetConfig("legacy")!;
  const config = {
    ...legacy,
    provider: { ...legacy.provider, timeoutMs: 1e12, slowCallMs: 1e12 },
    lanes: { ...legacy.lanes, default: { workers: k.c, queueCapacity: 1e9 } },
    prewarm: { ...legacy.prewarm, enabled: false },
    // The core's load sampler only drives overflow and prewarm (both off here); sample rarely.
    routing: { ...legacy.routing, sampleIntervalMs: meanServiceMs },
  };
  const t = 1 / (k.c * k.mu - k.lambda); // one mean "decay time" of the waiting-time tail, s
  const perRep = { wait: [] as number[], tail: [] as number[], little: [] as number[], rejected: 0 };
  for (let r = 0; r < k.replications; r++) {
    let n = 0;
    let sumWait = 0;
    let above = 0;
    const out = runReplication({
      scenario,
      traffic: scenario.traffic,
      cluster: scenario.cluster,
      config,
      seed: replicationSeed(scenario.seed, r),
      detailed: true,
      onTerminal: (view: OrderView) => {
        if (view.state !== "DELIVERED") {
          perRep.rejected++;
          return;
        }
        if (view.submittedAt < k.warmup * 1000) return;
        const waitS = view.timings.queuedMs / 1000;
        n++;
        sumWait += waitS;
        if (waitS > t) above++;
      },
    });
    const meanWait = sumWait / n;
    perRep.wait.push(meanWait);
    perRep.tail.push(above / n);
    // Little's law on the queue: time-average queue length (sampled every window) = lambda x mean wait.
    const samples = out.windows
      .filter((w) => w.t >= k.warmup && w.t < k.seconds)
      .map((w) => w.queueDepth.default!);
    const lq = samples.reduce((a, b) => a + b, 0) / samples.length;
    // With the realised arrival rate: a busy replication has both more arrivals and longer waits, so
    // the nominal rate would bias L - lambda W upwards.
    const lambda = n / (k.seconds - k.warmup);
    perRep.little.push(lq - lambda * meanWait);
  }
  const a = k.lambda / k.mu;
  const C = erlangC(k.c, a);
  return {
    theoryWait: C / (k.c * k.mu - k.lambda),
    theoryTail: C * Math.exp(-(k.c * k.mu - k.lambda) * t),
    wait: meanCi(perRep.wait),
    tail: meanCi(perRep.tail),
    little: meanCi(perRep.little),
    rejected: perRep.rejected,
    meanWaits: perRep.wait,
  };
}

const cases: Case[] = [
  { c: 1, lambda: 0.9, mu: 1, seconds: 12_000, warmup: 1000, replications: 10, seed: 101 },
  { c: 3, lambda: 0.2, mu: 0.1, seconds: 50_000, warmup: 2000, replications: 10, seed: 909 },
  { c: 10, lambda: 8, mu: 1, seconds: 2000, warmup: 100, replications: 10, seed: 1008 },
];

describe("the core as an M/M/c queue reproduces Erlang C", () => {
  for (const k of cases) {
    it(`c=${k.c}, lambda=${k.lambda}, mu=${k.mu}`, () => {
      const r = simulateQueue(k);
      expect(r.rejected).toBe(0);
      expect(r.theoryWait).toBeGreaterThanOrEqual(r.wait.lo);
      expect(r.theoryWait).toBeLessThanOrEqual(r.wait.hi);
      expect(r.theoryTail).toBeGreaterThanOrEqual(r.tail.lo);
      expect(r.theoryTail).toBeLessThanOrEqual(r.tail.hi);
      // Little's law: L_q - lambda W_q has a CI containing 0.
      expect(0).toBeGreaterThanOrEqual(r.little.lo);
      expect(0).toBeLessThanOrEqual(r.little.hi);
    });
  }
});

describe("zero-latency risk and notification stages", () => {
  it("leave the M/M/c queue exactly as it was (the same mean wait in every replication)", () => {
    // The first replications of the c=10 case above (replication seeds depend only on the base seed
    // and the index), so equal waits mean the staged queue passes the same Erlang C checks.
    const k = { ...cases[2]!, replications: 3 };
    const plain = simulateQueue(k);
    const staged = simulateQueue(k, true);
    expect(staged.rejected).toBe(0);
    expect(staged.meanWaits).toEqual(plain.meanWaits);
  });
});
