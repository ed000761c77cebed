// Exact values from numpy 1.x / scipy 1.17 (mannwhitneyu(method="asymptotic", use_continuity=True),
// numpy.percentile's default linear method, scipy.special.erfc).
import { describe, expect, it } from "vitest";
import { Xoshiro128 } from "../../../../server/core/random.ts";
import {
  bootstrapPercentileDiffCi,
  erfc,
  mannWhitneyU,
  normalCdf,
  percentile,
} from "../../../../server/core/stats/index.ts";

describe("percentile (type 7, as numpy.percentile)", () => {
  it("matches numpy on exact values", () => {
    const x = [3, 6, 7, 8, 8, 9, 10, 13, 15, 16, 20];
    expect([0, 0.25, 0.5, 0.9, 0.99, 1].map((p) => percentile(x, p))).toEqual(
      [3, 7.5, 9, 16, 19.6, 20].map((v) => expect.closeTo(v, 12)),
    );
    expect(percentile([5.5, 1.0, 2.5, 9.0], 0.99)).toBeCloseTo(8.895, 12);
    expect(percentile([5.5, 1.0, 2.5, 9.0], 0.1)).toBeCloseTo(1.45, 12);
    expect(percentile([], 0.5)).toBeNaN();
  });
});

describe("erfc and the normal CDF", () => {
  it("match scipy to 1e-7 relative", () => {
    expect(erfc(0.5)).toBeCloseTo(0.4795001221869535, 7);
    expect(erfc(3.0) / 2.2090496998585445e-5).toBeCloseTo(1, 6);
    expect(erfc(-1.2)).toBeCloseTo(1.9103139782296354, 7);
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
  });
});

describe("Mann-Whitney U", () => {
  const a = [12, 15, 11, 18, 15, 20, 22, 15, 13, 17];
  const b = [19, 25, 15, 28, 22, 30, 21, 26, 24, 15, 27];

  it("matches scipy with ties (U and the tie-corrected, continuity-corrected p)", () => {
    const r = mannWhitneyU(a, b);
    expect(r.uA).toBe(14.5);
    expect(r.uB).toBe(95.5);
    expect(r.p).toBeCloseTo(0.004566546907074171, 8);
    expect(r.z).toBeGreaterThan(0);
    expect(r.commonLanguage).toBeCloseTo(95.5 / 110, 12);
    expect(r.rankBiserial).toBeCloseTo((2 * 95.5) / 110 - 1, 12);
  });

  it("is symmetric and says nothing on identical samples", () => {
    const r = mannWhitneyU(b, a);
    expect(r.uA).toBe(95.5);
    expect(r.p).toBeCloseTo(0.004566546907074171, 8);
    const same = mannWhitneyU([1, 2, 3, 4, 5], [1, 2, 3, 4, 5]);
    expect(same.p).toBe(1);
    expect(same.commonLanguage).toBe(0.5);
    expect(mannWhitneyU([], [1]).p).toBeNaN();
  });
});

describe("bootstrap CI of a percentile difference", () => {
  it("is reproducible from the seed and covers the true difference of shifted samples", () => {
    const rng = new Xoshiro128(1);
    const base = Array.from({ length: 2000 }, () => 100 + 50 * rng.next());
    const shifted = Array.from({ length: 2000 }, () => 130 + 50 * rng.next());
    const ci1 = bootstrapPercentileDiffCi(base, shifted, 0.99, 500, new Xoshiro128(9));
    const ci2 = bootstrapPercentileDiffCi(base, shifted, 0.99, 500, new Xoshiro128(9));
    expect(ci1).toEqual(ci2);
    expect(ci1.estimate).toBeCloseTo(percentile(shifted, 0.99) - percentile(base, 0.99), 12);
    expect(ci1.low).toBeLessThanOrEqual(ci1.estimate);
    expect(ci1.high).toBeGreaterThanOrEqual(ci1.estimate);
    expect(ci1.low).toBeGreaterThan(25);
    expect(ci1.high).toBeLessThan(35);
  });

  it("gives the exact percentile of the resample (a constant sample has a zero-width interval)", () => {
    const ci = bootstrapPercentileDiffCi([5, 5, 5], [7, 7], 0.5, 50, new Xoshiro128(3));
    expect(ci).toEqual({ estimate: 2, low: 2, high: 2 });
  });
});
