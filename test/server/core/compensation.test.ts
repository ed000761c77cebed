// The compensation queue: backoff, jitter, the retry budget, and the one-card-per-order rule.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backoffDelay, RetryBudget } from "../../../server/core/compensation.ts";
import { type DispatchConfig, mergeConfig, PRESETS } from "../../../server/core/config.ts";
import { createDispatcher } from "../../../server/core/dispatcher.ts";
import { Xoshiro128 } from "../../../server/core/random.ts";
import type { OrderView } from "../../../server/core/types.ts";
import { VirtualEnvironment } from "../../../simulator/kernel/virtual-env.ts";
import { FakeCardStore, FakeProviders } from "../../support/core-fakes.ts";

describe("backoff", () => {
  const rng = new Xoshiro128(1);
  it("is fixed for legacy and exponential, capped, for adaptive without jitter", () => {
    expect([1, 2, 3].map((a) => backoffDelay(PRESETS.legacy.retry, a, rng))).toEqual([5000, 5000, 5000]);
    const exp = { ...PRESETS.adaptive.retry, jitter: "none" as const };
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(exp, a, rng))).toEqual([
      100, 200, 400, 800, 1600, 2000,
    ]);
  });

  it("draws full jitter uniformly below the computed delay, reproducibly from the seed", () => {
    const a = Array.from({ length: 1000 }, () => backoffDelay(PRESETS.adaptive.retry, 3, new Xoshiro128(5)));
    expect(new Set(a).size).toBe(1);
    const r = new Xoshiro128(5);
    const draws = Array.from({ length: 10000 }, () => backoffDelay(PRESETS.adaptive.retry, 3, r));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(400);
    const mean = draws.reduce((x, y) => x + y, 0) / draws.length;
    expect(mean).toBeGreaterThan(190);
    expect(mean).toBeLessThan(210);
  });
});

describe("retry budget", () => {
  it("allows ratio x accepted-per-second over the window + the floor", () => {
    const b = new RetryBudget(PRESETS.adaptive.retry);
    for (let i = 0; i < 1000; i++) b.recordAccepted(i * 10); // 100/s for 10 s
    expect(b.allowance(9999)).toBeCloseTo(0.1 * 100 + 10, 2);
    let granted = 0;
    while (b.tryAcquire(9999)) granted++;
    expect(granted).toBe(20);
    b.release();
    expect(b.tryAcquire(9999)).toBe(true);
    // The window slides: 30 s later nothing was accepted, only the floor remains.
    expect(b.allowance(40_000)).toBe(10);
  });
});

function outage(config: DispatchConfig) {
  const env = new VirtualEnvironment(11);
  const store = new FakeCardStore(env, { latencyMs: 1 });
  const ids = ["p1", "p2", "p3", "p4"];
  const providers = new FakeProviders(env, ids, { kind: "blackhole" });
  const d = createDispatcher({ env, config, store, providers: { ids, port: providers } });
  const inRetry = new Set<string>();
  let maxInRetry = 0;
  const onChange = (v: OrderView) => {
    if (v.state === "RETRYING") inRetry.add(v.orderId);
    else if (v.state === "FAILED" || v.state === "DELIVERED") inRetry.delete(v.orderId);
    maxInRetry = Math.max(maxInRetry, inRetry.size);
  };
  // 100 orders/s for 20 s, every provider down.
  for (let i = 0; i < 2000; i++) {
    env.runUntil(i * 10);
    d.submit({ orderId: `o${i}`, sku: "s", tier: "standard" }, onChange);
  }
  env.runFor(120_000);
  const snap = d.snapshot();
  d.stop();
  return { maxInRetry, snap, store };
}

describe("compensation under a provider outage", () => {
  it("keeps retries (waiting + running) within the budget, and fails every order with its card released", () => {
    const { maxInRetry, snap, store } = outage(PRESETS.adaptive);
    // 100 orders/s: 0.1 x 100 + 10 retries at once at most.
    expect(maxInRetry).toBeLessThanOrEqual(0.1 * 100 + 10);
    expect(maxInRetry).toBeGreaterThan(0);
    expect(snap.counters.budgetExhausted).toBeGreaterThan(0);
    expect(snap.counters.failed).toBe(2000);
    expect(snap.counters.retries).toBeLessThan(2000 * 0.2);
    expect(store.calls.release).toBe(2000);
    for (let i = 0; i < 2000; i++) expect(store.holder(`o${i}`)).toBeUndefined();
  });

  it("retries far more without a budget (the storm the budget prevents)", () => {
    const noBudget = mergeConfig(PRESETS.adaptive, {
      retry: { budget: { enabled: false } },
    }) as DispatchConfig;
    const { maxInRetry, snap } = outage(noBudget);
    expect(snap.counters.retries).toBe(2000 * 2);
    expect(maxInRetry).toBeGreaterThan(100);
  });
});

describe("one card per order", () => {
  it("never gives an order a second card, and never one card to two orders, whatever providers do", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("ok", "error", "blackhole", "slow"), { minLength: 3, maxLength: 3 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.constantFrom("legacy", "adaptive"),
        (modes, seed, preset) => {
          const env = new VirtualEnvironment(seed);
          const store = new FakeCardStore(env, { latencyMs: 1, stockPerSku: 150 });
          const ids = ["a", "b", "c"];
          const providers = new FakeProviders(env, ids);
          ids.forEach((id, i) => {
            const m = modes[i]!;
            providers.set(
              id,
              m === "blackhole"
                ? { kind: "blackhole" }
                : m === "error"
                  ? { kind: "error", latencyMs: 3 }
                  : { kind: "ok", latencyMs: m === "slow" ? 900 : 5 },
            );
          });
          const config = PRESETS[preset as "legacy" | "adaptive"];
          const d = createDispatcher({ env, config, store, providers: { ids, port: providers } });
          const cardsSeen = new Map<string, Set<string>>();
          const finals: OrderView[] = [];
          for (let i = 0; i < 200; i++) {
            env.runUntil(i * 5);
            d.submit(
              { orderId: `o${i}`, sku: i % 2 === 0 ? "x" : "y", tier: i % 7 === 0 ? "vip" : "standard" },
              (v) => {
                if (v.cardId !== null) {
                  const set = cardsSeen.get(v.orderId) ?? new Set();
                  set.add(v.cardId);
                  cardsSeen.set(v.orderId, set);
                }
                if (v.finishedAt !== null) finals.push(v);
              },
            );
          }
          env.runFor(300_000);
          d.stop();
          expect(finals).toHaveLength(200);
          for (const set of cardsSeen.values()) expect(set.size).toBe(1);
          const delivered = finals.filter((v) => v.state === "DELIVERED").map((v) => v.cardId);
          expect(new Set(delivered).size).toBe(delivered.length);
          expect(store.ghostCards()).toBe(0);
          expect(d.snapshot().counters.duplicateCards).toBe(0);
        },
      ),
      { numRuns: 25, seed: 42 },
    );
  });

  /** Order o1 claimed a card (and, with `delivered`, its delivery was recorded), then the process died. */
  function afterCrash(options: { stockPerSku?: number; delivered?: boolean } = {}) {
    const env = new VirtualEnvironment(1);
    const store = new FakeCardStore(env, { latencyMs: 1, stockPerSku: options.stockPerSku });
    const providers = new FakeProviders(env, ["p"], { kind: "ok", latencyMs: 5 });
    let held = "";
    store.claim("o1", "s", (r) => {
      if (r.kind === "claimed") held = r.card.cardId;
    });
    env.runFor(10);
    if (options.delivered) store.deliver("o1", held, () => {});
    env.runFor(10);
    const d = createDispatcher({
      env,
      config: PRESETS.adaptive,
      store,
      providers: { ids: ["p"], port: providers },
    });
    const views: OrderView[] = [];
    const recover = (attempts: number, cardId: string | undefined) =>
      d.recover({ orderId: "o1", sku: "s", tier: "standard", attempts, cardId }, (v) => views.push(v));
    const run = () => {
      env.runFor(10_000);
      d.stop();
      return views.at(-1);
    };
    return { store, providers, d, held, recover, run };
  }

  it("a recovered order keeps its card and its attempts", () => {
    const { store, d, held, recover, run } = afterCrash();
    expect(recover(2, held)).toMatchObject({ state: "RETRYING", attempts: 2, cardId: held });
    expect(run()).toMatchObject({ state: "DELIVERED", attempts: 3, cardId: held });
    expect(store.ownersOf(held)).toEqual(["o1"]);
    expect(d.snapshot().counters.duplicateCards).toBe(0);
  });

  it("a recovered order whose card the ledger never saw gets that card back, even with no stock left", () => {
    // o1 claimed the only card and died before the ledger copied it.
    const { store, held, recover, run } = afterCrash({ stockPerSku: 1 });
    recover(1, undefined);
    // A stock check would have seen 0 free and failed the order with its card still held.
    expect(run()).toMatchObject({ state: "DELIVERED", cardId: held });
    expect(store.ownersOf(held)).toEqual(["o1"]);
  });

  it("a recovered order whose card was delivered before the crash ends DELIVERED without a provider call", () => {
    // The card was issued and its delivery recorded, but the ledger still says ISSUING.
    const { store, providers, held, recover, run } = afterCrash({ delivered: true });
    recover(1, held);
    // Issuing it again would hand the provider the same card twice, and a failure could not release it.
    const last = run();
    expect(last).toMatchObject({ state: "DELIVERED", cardId: held });
    expect(last?.cardCode).not.toBeNull();
    expect(providers.calls).toHaveLength(0);
    expect(store.ownersOf(held)).toEqual(["o1"]);
  });
});

describe("a retry of an order that holds the last card", () => {
  it("is not failed as out of stock: its own card is all it needs, so it is delivered", () => {
    const env = new VirtualEnvironment(3);
    const store = new FakeCardStore(env, { latencyMs: 1, stockPerSku: 1 });
    const providers = new FakeProviders(env, ["p1"], { kind: "error", latencyMs: 5 });
    env.schedule(20, () => providers.behaviour.set("p1", { kind: "ok", latencyMs: 5 }));
    const d = createDispatcher({
      env,
      config: PRESETS.adaptive,
      store,
      providers: { ids: ["p1"], port: providers },
    });
    const views: OrderView[] = [];
    d.submit({ orderId: "only", sku: "last-card", tier: "standard" }, (v) => views.push({ ...v }));
    env.runFor(30_000);
    d.stop();
    const last = views.at(-1)!;
    expect(views.some((v) => v.state === "RETRYING")).toBe(true);
    expect(last.state).toBe("DELIVERED");
    expect(last.cardId).not.toBeNull();
  });
});
