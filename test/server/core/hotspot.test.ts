import { describe, expect, it } from "vitest";
import { PRESETS } from "../../../server/core/config.ts";
import { HotSkuTracker } from "../../../server/core/hotspot.ts";
import { Xoshiro128 } from "../../../server/core/random.ts";

const config = PRESETS.adaptive.hotSku; // capacity 64, hotShare 0.1, minCount 50, half-life 10 s

describe("hot-SKU detection (decaying Space-Saving)", () => {
  it("detects a SKU that takes 30% of orders within a bounded number of its orders, once", () => {
    const alerts: { sku: string; share: number; at: number }[] = [];
    let n = 0;
    const tracker = new HotSkuTracker(config, (sku, share) => alerts.push({ sku, share, at: n }));
    const rng = new Xoshiro128(2);
    // 20,000 orders spread over 5,000 SKUs (none hot), 1 ms apart.
    for (; n < 20_000; n++) tracker.record(`sku-${Math.floor(rng.next() * 5000)}`, n);
    expect(alerts).toEqual([]);
    const start = n;
    for (; n < start + 20_000; n++) {
      const sku = rng.next() < 0.3 ? "promo" : `sku-${Math.floor(rng.next() * 5000)}`;
      tracker.record(sku, n);
    }
    expect(alerts.map((a) => a.sku)).toEqual(["promo"]);
    // Analytic bound after an infinitely long quiet history: -halfLife x log2(1 - 0.1 / 0.3) = 5.85 s,
    // 5,850 orders at 1 per ms; the 20 s history here makes it a little quicker.
    const bound = -config.halfLifeMs * Math.log2(1 - config.hotShare / 0.3);
    expect(alerts[0]!.at - start).toBeLessThan(bound * 1.1);
    expect(alerts[0]!.at - start).toBeGreaterThan(bound * 0.5);
    expect(tracker.hotList(n).map((h) => h.sku)).toEqual(["promo"]);
    expect(tracker.share("promo")).toBeGreaterThan(0.2);
  });

  it("raises no alert for a SKU well below the hot share", () => {
    const alerts: string[] = [];
    const tracker = new HotSkuTracker(config, (sku) => alerts.push(sku));
    const rng = new Xoshiro128(5);
    for (let n = 0; n < 100_000; n++) {
      tracker.record(rng.next() < 0.07 ? "warm" : `sku-${Math.floor(rng.next() * 5000)}`, n);
    }
    expect(alerts).toEqual([]);
  });

  it("forgets a SKU that cooled down (decay), with bounded counters", () => {
    const tracker = new HotSkuTracker(config, () => {});
    for (let i = 0; i < 1000; i++) tracker.record("promo", i);
    expect(tracker.isHot("promo")).toBe(true);
    const rng = new Xoshiro128(3);
    // Twelve half-lives of other demand.
    for (let t = 1000; t < 121_000; t += 10) tracker.record(`sku-${Math.floor(rng.next() * 20)}`, t);
    expect(tracker.hotList(121_000).some((h) => h.sku === "promo")).toBe(false);
    expect(tracker.top().length).toBeLessThanOrEqual(config.capacity);
  });

  it("an evicted SKU loses its counter and its hot flag, and comes back as a new one", () => {
    const alerts: string[] = [];
    const small = { ...config, capacity: 4, hotShare: 0.5, minCount: 1 };
    const tracker = new HotSkuTracker(small, (sku) => alerts.push(sku));
    for (let i = 0; i < 100; i++) tracker.record("A", 0);
    expect(tracker.isHot("A")).toBe(true);
    // Twenty half-lives later one order outweighs A's hundred: the fourth new SKU evicts A (the minimum).
    const later = 20 * small.halfLifeMs;
    for (const sku of ["B", "C", "D", "E"]) tracker.record(sku, later);
    expect(
      tracker
        .top()
        .map((t) => t.sku)
        .sort(),
    ).toEqual(["B", "C", "D", "E"]);
    expect(tracker.isHot("A")).toBe(false);
    expect(tracker.share("A")).toBe(0);
    // A returns: a counter of its own (not E's slot, where its stale index entry points), and once it
    // dominates again it is hot again, with a second alert.
    tracker.record("A", later);
    expect(tracker.top().some((t) => t.sku === "A")).toBe(true);
    for (let i = 0; i < 50; i++) tracker.record("A", later);
    expect(tracker.isHot("A")).toBe(true);
    expect(alerts.filter((sku) => sku === "A")).toHaveLength(2);
  });

  it("keeps its SKU index bounded over an unbounded catalogue", () => {
    const tracker = new HotSkuTracker(config, () => {});
    for (let n = 0; n < 50_000; n++) tracker.record(`sku-${n}`, n);
    // Every order a new SKU: every one evicts. Only the tracked SKUs are found.
    const tracked = tracker.top().map((t) => t.sku);
    expect(tracked).toHaveLength(config.capacity);
    expect(tracker.share("sku-0")).toBe(0);
    expect(tracker.share(tracked[0]!)).toBeGreaterThan(0);
    // The index (private) holds live and stale entries up to 4 per counter, then is rebuilt.
    const index = (tracker as unknown as { index: Map<string, number> }).index;
    expect(index.size).toBeLessThanOrEqual(4 * config.capacity + 1);
  });

  it("records nothing when disabled", () => {
    const alerts: string[] = [];
    const tracker = new HotSkuTracker({ ...config, enabled: false }, (sku) => alerts.push(sku));
    for (let i = 0; i < 1000; i++) tracker.record("promo", i);
    expect(alerts).toEqual([]);
  });
});
