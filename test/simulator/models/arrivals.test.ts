import { describe, expect, it } from "vitest";
import { validateScenario } from "../../../scenarios/define.ts";
import { Xoshiro128 } from "../../../server/core/random.ts";
import { ArrivalProcess } from "../../../simulator/models/arrivals.ts";
import { OrderMix, ZipfSampler } from "../../../simulator/models/order-mix.ts";
import { expectedArrivals } from "../../../traffic/profile.ts";

const traffic = validateScenario({
  name: "t",
  traffic: {
    executor: "ramping-arrival-rate",
    startRate: 0,
    stages: [
      { target: 1000, duration: "10s" },
      { target: 1000, duration: "10s" },
      { target: 0, duration: "10s" },
    ],
  },
  providers: [{ id: "p", latency: { p50: 1, p99: 2 }, capacity: 1 }],
  cluster: { primary: { workers: 1 }, backup: { workers: 1 } },
}).traffic;

describe("ArrivalProcess (non-homogeneous Poisson by thinning)", () => {
  it("follows the integrated rate of the stages", () => {
    const counts = new Array(30).fill(0);
    const reps = 20;
    for (let s = 0; s < reps; s++) {
      const p = new ArrivalProcess(traffic, new Xoshiro128(s));
      for (let t = p.next(); Number.isFinite(t); t = p.next()) counts[Math.floor(t / 1000)]++;
    }
    const total = counts.reduce((a, b) => a + b, 0) / reps;
    expect(total / expectedArrivals(traffic, 30_000)).toBeCloseTo(1, 1);
    // Second 5 of the ramp: rate goes 500 -> 600, expected 550 per second.
    expect(counts[5] / reps / 550).toBeCloseTo(1, 1);
    expect(counts[15] / reps / 1000).toBeCloseTo(1, 1);
    expect(counts[25] / reps / 450).toBeCloseTo(1, 1);
  });

  it("produces increasing times that end with the traffic", () => {
    const p = new ArrivalProcess(traffic, new Xoshiro128(1));
    let last = 0;
    let decreasing = 0;
    for (let t = p.next(); Number.isFinite(t); t = p.next()) {
      if (t < last) decreasing++;
      last = t;
    }
    expect(decreasing).toBe(0);
    expect(last).toBeGreaterThan(25_000);
    expect(last).toBeLessThan(30_000);
  });
});

describe("order mix", () => {
  it("Zipf probabilities follow 1/k^s", () => {
    const z = new ZipfSampler(100, 1);
    expect(z.probability(0) / z.probability(1)).toBeCloseTo(2, 9);
    const rng = new Xoshiro128(3);
    let top = 0;
    for (let i = 0; i < 100_000; i++) if (z.sample(rng) === 0) top++;
    expect(top / 100_000).toBeCloseTo(z.probability(0), 2);
  });

  it("a hotspot gives one SKU its share only inside its window, and a VIP surge raises the VIP share", () => {
    const mix = new OrderMix(
      {
        skuCount: 50,
        zipfExponent: 1,
        hotspots: [{ at: 1000, duration: 1000, sku: 7, share: 0.7 }],
        vipShare: 0.05,
        vipSurges: [{ at: 1000, duration: 1000, share: 0.5 }],
      },
      new Xoshiro128(1),
      new Xoshiro128(2),
    );
    let hotInside = 0;
    let hotOutside = 0;
    let vipInside = 0;
    let vipOutside = 0;
    for (let i = 0; i < 20_000; i++) {
      if (mix.sku(1500) === "sku-0007") hotInside++;
      if (mix.sku(500) === "sku-0007") hotOutside++;
      if (mix.tier(1500) === "vip") vipInside++;
      if (mix.tier(2500) === "vip") vipOutside++;
    }
    expect(hotInside / 20_000).toBeGreaterThan(0.7);
    expect(hotOutside / 20_000).toBeLessThan(0.05);
    expect(vipInside / 20_000).toBeCloseTo(0.5, 1);
    expect(vipOutside / 20_000).toBeCloseTo(0.05, 1);
  });
});
