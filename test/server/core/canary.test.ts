import { describe, expect, it } from "vitest";
import { inCanaryShare, judgeCanary } from "../../../server/core/canary.ts";
import { type DispatchConfig, mergeConfig, PRESETS } from "../../../server/core/config.ts";
import { createDispatcher } from "../../../server/core/dispatcher.ts";
import { Xoshiro128 } from "../../../server/core/random.ts";
import type { OrderView } from "../../../server/core/types.ts";
import { VirtualEnvironment } from "../../../simulator/kernel/virtual-env.ts";
import { FakeCardStore, FakeProviders } from "../../support/core-fakes.ts";

const config = PRESETS.adaptive.canary;

/** Exponential latencies with the given mean (ms), plus a 20 ms floor. */
function latencies(n: number, mean: number, seed: number): number[] {
  const rng = new Xoshiro128(seed);
  return Array.from({ length: n }, () => 20 - mean * Math.log(1 - rng.next()));
}

const arm = (sample: number[], errors = 0) => ({
  latencies: sample,
  completed: sample.length + errors,
  errors,
});

describe("canary judge", () => {
  it("rolls back a clearly slower candidate", () => {
    const v = judgeCanary(
      "c",
      arm(latencies(1000, 100, 1)),
      arm(latencies(1000, 160, 2)),
      config,
      new Xoshiro128(3),
    );
    expect(v.decision).toBe("rollback");
    expect(v.mannWhitneyP).toBeLessThan(0.01);
    expect(v.effectSize).toBeGreaterThan(0.5);
    expect(v.p99DeltaCi[0]).toBeGreaterThan(0);
    expect(v.p99DeltaMs).toBeCloseTo(v.candidateP99Ms - v.baselineP99Ms, 9);
  });

  it("rolls back a candidate with a clearly higher error rate even if it is fast", () => {
    const v = judgeCanary(
      "c",
      arm(latencies(1000, 100, 1), 5),
      arm(latencies(1000, 80, 2), 100),
      config,
      new Xoshiro128(3),
    );
    expect(v.decision).toBe("rollback");
    expect(v.reason).toContain("error rate");
  });

  it("promotes a clearly faster candidate", () => {
    const v = judgeCanary(
      "c",
      arm(latencies(1000, 100, 1)),
      arm(latencies(1000, 60, 2)),
      config,
      new Xoshiro128(3),
    );
    expect(v.decision).toBe("promote");
    expect(v.effectSize).toBeLessThan(0.5);
    expect(v.p99DeltaCi[1]).toBeLessThan(0);
  });

  it("holds on noise: the same distribution at a few hundred orders per arm", () => {
    for (let seed = 1; seed <= 10; seed++) {
      const v = judgeCanary(
        "c",
        arm(latencies(300, 100, seed * 2)),
        arm(latencies(300, 100, seed * 2 + 1)),
        config,
        new Xoshiro128(seed),
      );
      expect(v.decision, `seed ${seed}: ${v.reason}`).toBe("hold");
    }
  });

  it("holds below the minimum sample", () => {
    const v = judgeCanary(
      "c",
      arm(latencies(150, 100, 1)),
      arm(latencies(150, 300, 2)),
      config,
      new Xoshiro128(3),
    );
    expect(v.decision).toBe("hold");
    expect(v.reason).toContain("too little data");
  });

  it("splits by a stable hash of the order id, close to the share", () => {
    let n = 0;
    for (let i = 0; i < 100_000; i++) if (inCanaryShare(`order-${i}`, 0.05)) n++;
    expect(n / 100_000).toBeGreaterThan(0.045);
    expect(n / 100_000).toBeLessThan(0.055);
    expect(inCanaryShare("order-7", 0.05)).toBe(inCanaryShare("order-7", 0.05));
  });
});

describe("canary in the dispatcher", () => {
  function run(candidate: unknown, share = 0.2) {
    const env = new VirtualEnvironment(21);
    const store = new FakeCardStore(env, { latencyMs: 1 });
    const ids = ["p1", "p2", "p3"];
    const providers = new FakeProviders(env, ids, { kind: "ok", latencyMs: 60 });
    const d = createDispatcher({ env, config: PRESETS.adaptive, store, providers: { ids, port: providers } });
    const started = d.startCanary(candidate, share);
    const finals: OrderView[] = [];
    const rng = new Xoshiro128(8);
    for (let i = 0; i < 3000; i++) {
      env.runUntil(i * 5);
      // Provider latency varies per call: 30..150 ms.
      for (const id of ids) providers.set(id, { kind: "ok", latencyMs: 30 + 120 * rng.next() });
      d.submit(
        { orderId: `o${i}`, sku: "s", tier: "standard" },
        (v) => v.finishedAt !== null && finals.push(v),
      );
    }
    env.runFor(60_000);
    return { d, started, finals };
  }

  it("runs the candidate's order policy on its share and rolls back a harmful timeout", () => {
    // A 100 ms timeout against 30-150 ms providers: a third of candidate calls time out and retry.
    const { d, started, finals } = run({ provider: { timeoutMs: 100 } });
    expect(started.ok).toBe(true);
    const canary = finals.filter((v) => v.canary);
    expect(canary.length / finals.length).toBeGreaterThan(0.17);
    expect(canary.length / finals.length).toBeLessThan(0.23);
    expect(canary.some((v) => v.attempts > 1)).toBe(true);
    expect(finals.filter((v) => !v.canary).every((v) => v.attempts === 1)).toBe(true);
    const verdict = d.canaryVerdict();
    expect(verdict.decision).toBe("rollback");
    expect(verdict.baselineCount + verdict.candidateCount).toBe(3000);
    expect(d.stopCanary()).toBe(started.ok ? started.id : null);
    expect(d.canaryVerdict().decision).toBe("none");
  });

  it("promotes an equivalent candidate once there is plenty of data (not worse)", () => {
    const { d } = run({ retry: { baseDelayMs: 150 } }, 0.5);
    expect(d.canaryVerdict().decision).toBe("promote");
  });

  it("refuses a candidate that changes what a canary does not run, each field with its path and why", () => {
    const env = new VirtualEnvironment(1);
    const d = createDispatcher({
      env,
      config: PRESETS.adaptive,
      store: new FakeCardStore(env),
      providers: { ids: ["p"], port: new FakeProviders(env, ["p"]) },
    });
    // Lanes and health are shared by both arms: before, these passed validation and were ignored.
    const r = d.startCanary({
      lanes: { vip: { workers: 4 } },
      health: { enabled: false },
      idleStopMs: 5,
      provider: { timeoutMs: 500 },
    });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors.map((e) => e.path).sort()).toEqual([
        "health.enabled",
        "idleStopMs",
        "lanes.vip.workers",
      ]);
      const workers = r.errors.find((e) => e.path === "lanes.vip.workers")!;
      expect(workers.message).toContain("a canary runs only the order policy (provider, retry, allocation)");
      expect(workers.message).toContain("lanes and worker slots are shared by both arms");
      expect(workers.message).toContain("in force 8, asked 4");
    }
    expect(d.canaryVerdict().decision).toBe("none");
    // The order policy alone starts; so does a whole configuration that changes nothing else.
    expect(d.startCanary({ provider: { timeoutMs: 500 }, retry: { maxAttempts: 2 } }).ok).toBe(true);
    const whole = mergeConfig(PRESETS.adaptive, { name: "candidate", allocation: { stockCheck: false } });
    expect(d.startCanary(whole).ok).toBe(true);
  });

  it("rejects an invalid candidate or share with every error", () => {
    const env = new VirtualEnvironment(1);
    const d = createDispatcher({
      env,
      config: PRESETS.adaptive,
      store: new FakeCardStore(env),
      providers: { ids: ["p"], port: new FakeProviders(env, ["p"]) },
    });
    const r = d.startCanary({ provider: { timeoutMs: -5 }, retry: { maxAttempts: 0 } }, 0.9);
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.errors.map((e) => e.path).sort()).toEqual([
        "provider.timeoutMs",
        "retry.maxAttempts",
        "share",
      ]);
    expect(d.canaryVerdict().decision).toBe("none");
    const cfg: DispatchConfig = mergeConfig(PRESETS.adaptive, {}) as DispatchConfig;
    expect(d.startCanary(cfg)).toMatchObject({ ok: true, id: "canary-1" });
  });
});
