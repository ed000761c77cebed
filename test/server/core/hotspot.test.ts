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

  it("records nothing when disabled", () => {
    const alerts: string[] = [];
    const tracker = new HotSkuTracker({ ...config, enabled: false }, (sku) => alerts.push(sku));
    for (let i = 0; i < 1000; i++) tracker.record("promo", i);
    expect(alerts).toEqual([]);
  });
});
