import { describe, expect, it } from "vitest";
import { Xoshiro128 } from "../../../server/core/random.ts";
import {
  deterministic,
  distributionFromSpec,
  empirical,
  empiricalByRate,
  exponential,
  lognormalFromPercentiles,
  normalQuantile,
  uniform,
} from "../../../simulator/kernel/distributions.ts";

function draws(n: number, f: (rng: Xoshiro128) => number, seed = 1): Float64Array {
  const rng = new Xoshiro128(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = f(rng);
  return out.sort();
}
const mean = (xs: Float64Array) => xs.reduce((a, b) => a + b, 0) / xs.length;
const quantile = (xs: Float64Array, p: number) => xs[Math.floor(p * (xs.length - 1))]!;

describe("distributions", () => {
  it("normalQuantile matches known values", () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.99)).toBeCloseTo(2.326348, 5);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232, 5);
  });

  it("exponential has the requested mean and memoryless tail", () => {
    const d = exponential(200);
    const xs = draws(200_000, (r) => d.sample(r));
    expect(mean(xs) / 200).toBeCloseTo(1, 1);
    // P(X > mean) = e^-1
    expect(xs.filter((x) => x > 200).length / xs.length).toBeCloseTo(Math.exp(-1), 2);
  });

  it("lognormal from p50/p99 hits both percentiles", () => {
    const d = lognormalFromPercentiles(40, 200);
    const xs = draws(200_000, (r) => d.sample(r));
    expect(quantile(xs, 0.5) / 40).toBeCloseTo(1, 1);
    expect(quantile(xs, 0.99) / 200).toBeCloseTo(1, 1);
    expect(mean(xs) / d.mean).toBeCloseTo(1, 1);
  });

  it("deterministic, uniform and empirical stay in range with the right mean", () => {
    expect(deterministic(7).sample(new Xoshiro128(1))).toBe(7);
    const u = draws(100_000, (r) => uniform(10, 30).sample(r));
    expect(u[0]).toBeGreaterThanOrEqual(10);
    expect(u[u.length - 1]).toBeLessThan(30);
    expect(mean(u)).toBeCloseTo(20, 0);
    const e = empirical([1, 2, 3, 10]);
    const es = draws(100_000, (r) => e.sample(r));
    expect(es[0]).toBeGreaterThanOrEqual(1);
    expect(es[es.length - 1]).toBeLessThanOrEqual(10);
  });

  it("empirical by rate: the measured distribution at a measured rate, quantiles interpolated between", () => {
    const d = empiricalByRate([
      { rate: 600, values: [20, 40, 60] },
      { rate: 200, values: [10, 20, 30] },
    ]);
    const at = (rate: number) => draws(50_000, (r) => d(r, rate));
    // The sample median of 50,000 draws is within 0.1 ms (one standard deviation) of the true one for these
    // three: 1 / (2 x density x sqrt(n)), densities 1/20, 1/30 and 1/40 per ms at the medians; the bound is 5.
    const medianNear = (xs: Float64Array, m: number) =>
      expect(Math.abs(quantile(xs, 0.5) - m)).toBeLessThan(0.5);
    // At and beyond each end: that rate's distribution (no extrapolation).
    for (const rate of [50, 200]) medianNear(at(rate), 20);
    for (const rate of [600, 5000]) medianNear(at(rate), 40);
    // Halfway in rate: every quantile halfway between the two (one uniform per draw, the same quantile of each).
    const mid = at(400);
    medianNear(mid, 30);
    expect(mid[0]).toBeGreaterThanOrEqual(15);
    expect(mid[mid.length - 1]).toBeLessThanOrEqual(45);
    // The same stream gives the same draws: one uniform each, as `empirical` takes.
    const e = empirical([10, 20, 30]);
    expect(Array.from(draws(100, (r) => d(r, 200)))).toEqual(Array.from(draws(100, (r) => e.sample(r))));
  });

  it("builds from scenario latency specs", () => {
    expect(distributionFromSpec({ p50: 40, p99: 200 }).name).toMatch(/^lognormal/);
    expect(distributionFromSpec({ dist: "exponential", mean: 5 }).mean).toBe(5);
    expect(distributionFromSpec({ dist: "uniform", min: 1, max: 3 }).mean).toBe(2);
  });
});
