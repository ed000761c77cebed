// Prewarming through the dispatcher: forecast -> cache target -> rate-limited pre-issue in a quiet
// period -> orders served from the cache without a provider call; hot SKUs preloaded.
import { describe, expect, it } from "vitest";
import { type DispatchConfig, mergeConfig, PRESETS } from "../../../server/core/config.ts";
import { createDispatcher } from "../../../server/core/dispatcher.ts";
import type { CoreEvent, OrderView } from "../../../server/core/types.ts";
import { VirtualEnvironment } from "../../../simulator/kernel/virtual-env.ts";
import { FakeCardStore, FakeProviders } from "../../support/core-fakes.ts";

/** An hour-long season: 100 orders/min, with a 1,000/min peak in minutes 10-14. */
const season = Array.from({ length: 60 }, (_, i) => (i >= 10 && i < 15 ? 1000 : 100));
const history = [...season, ...season, ...season];

function setup(overrides: unknown = {}) {
  const config = mergeConfig(PRESETS.adaptive, {
    prewarm: { seasonMinutes: 60, horizonMinutes: 30 },
    ...(overrides as object),
  }) as DispatchConfig;
  const env = new VirtualEnvironment(5);
  const store = new FakeCardStore(env, { latencyMs: 1 });
  const providers = new FakeProviders(env, ["p1", "p2"], { kind: "ok", latencyMs: 20 });
  const d = createDispatcher({ env, config, store, providers: { ids: ["p1", "p2"], port: providers } });
  const events: CoreEvent[] = [];
  d.onEvent((e) => events.push(e));
  return { env, store, providers, d, events, config };
}

/** A few quiet orders so the sketch knows the mix: 60% "a", 40% "b". */
function warmMix(env: VirtualEnvironment, d: ReturnType<typeof createDispatcher>, n = 100, prefix = "w") {
  for (let i = 0; i < n; i++) {
    env.runFor(10);
    d.submit({ orderId: `${prefix}${i}`, sku: i % 5 < 3 ? "a" : "b", tier: "standard" });
  }
}

describe("prewarming", () => {
  it("fills a cache of ratio x predicted peak per minute, spread over the hot SKUs, within the rate limit", () => {
    const { env, d, store } = setup();
    d.loadDemandHistory(history);
    warmMix(env, d);
    const start = env.now();
    const before = store.calls.claim;
    env.runFor(1000);
    const firstSecond = store.calls.claim - before - 0; // claims by orders were all made before
    expect(firstSecond).toBeLessThanOrEqual(PRESETS.adaptive.prewarm.ratePerSecond + 1);
    env.runFor(60_000 - (env.now() - start));
    const p = d.snapshot().prewarm;
    expect(p.predictedPeakPerMinute).toBeCloseTo(1000, -1);
    expect(p.cacheTarget).toBe(Math.ceil(0.2 * p.predictedPeakPerMinute - 1e-9));
    // The forecast moves a little each minute as live counts come in; the cache never shrinks with it.
    expect(p.cacheSize).toBeGreaterThanOrEqual(p.cacheTarget);
    expect(p.cacheSize).toBeLessThanOrEqual(p.cacheTarget + 2);
  });

  it("serves an order from the cache: no provider call, fromCache, counted as a cache hit", () => {
    const { env, d, providers } = setup();
    d.loadDemandHistory(history);
    warmMix(env, d);
    env.runFor(30_000);
    const sizeBefore = d.snapshot().prewarm.cacheSize;
    const hitsBefore = d.snapshot().counters.cacheHits;
    expect(sizeBefore).toBeGreaterThan(0);
    const views: OrderView[] = [];
    d.submit({ orderId: "buyer", sku: "a", tier: "standard" }, (v) => views.push(v));
    env.runFor(100);
    expect(views.at(-1)).toMatchObject({ state: "DELIVERED", fromCache: true, providerId: null });
    expect(providers.calls.some((c) => c.orderId === "buyer")).toBe(false);
    expect(d.snapshot().counters.cacheHits).toBe(hitsBefore + 1);
    expect(d.snapshot().prewarm.cacheSize).toBe(sizeBefore - 1);
  });

  it("pre-issues nothing while the load is high, and nothing without a forecast", () => {
    const busy = setup({ prewarm: { maxLoad: 0 } });
    busy.d.loadDemandHistory(history);
    warmMix(busy.env, busy.d);
    busy.env.runFor(30_000);
    expect(busy.d.snapshot().prewarm.cacheSize).toBe(0);
    const blind = setup();
    warmMix(blind.env, blind.d);
    blind.env.runFor(30_000);
    expect(blind.d.snapshot().prewarm).toEqual({ cacheSize: 0, cacheTarget: 0, predictedPeakPerMinute: 0 });
  });

  it("never shrinks the cache when the forecast drops", () => {
    const { env, d } = setup();
    d.loadDemandHistory(history);
    warmMix(env, d);
    env.runFor(60_000);
    const full = d.snapshot().prewarm.cacheSize;
    d.loadDemandHistory(season.map(() => 1));
    env.runFor(10_000);
    expect(d.snapshot().prewarm.predictedPeakPerMinute).toBeLessThan(5);
    expect(d.snapshot().prewarm.cacheSize).toBe(full);
  });

  it("preloads a hot SKU: its stock check is served from memory, with a hot-sku event", () => {
    const { env, d, store, events } = setup({ prewarm: { enabled: false } });
    for (let i = 0; i < 200; i++) {
      env.runFor(5);
      d.submit({ orderId: `o${i}`, sku: "promo", tier: "standard" });
    }
    expect(
      events.filter((e) => e.kind === "hot-sku").map((e) => (e.kind === "hot-sku" ? e.sku : "")),
    ).toEqual(["promo"]);
    env.runFor(2000);
    expect(d.snapshot().hotSkus).toEqual([expect.objectContaining({ sku: "promo", preloaded: true })]);
    const stockCalls = store.calls.stock;
    for (let i = 0; i < 50; i++) d.submit({ orderId: `late${i}`, sku: "promo", tier: "standard" });
    env.runFor(500);
    // 50 orders, no per-order stock call (a refresh or so at most).
    expect(store.calls.stock - stockCalls).toBeLessThanOrEqual(1);
  });
});
