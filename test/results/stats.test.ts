import { describe, expect, it } from "vitest";
import {
  bootstrapDelta,
  mannWhitney,
  normalCdf,
  orderStatisticDelta,
  quantileRankInterval,
  quantileSorted,
  verdictOf,
} from "../../results/stats.ts";

describe("mannWhitney", () => {
  it("matches scipy's asymptotic test with ties (U = 4.5, p = 0.11385)", () => {
    const r = mannWhitney([1, 2, 3, 4, 5], [3, 4, 5, 6, 7]);
    expect(r.u).toBe(4.5);
    expect(r.p).toBeCloseTo(0.1138463, 5);
    expect(r.probabilityOfSuperiority).toBeCloseTo(0.18, 10);
    expect(r.cliffsDelta).toBeCloseTo(-0.64, 10);
  });

  it("matches scipy on fully separated samples (U = 0, p = 0.08086)", () => {
    const r = mannWhitney([1, 2, 3], [4, 5, 6]);
    expect(r.u).toBe(0);
    expect(r.p).toBeCloseTo(0.0808556, 5);
    expect(r.cliffsDelta).toBe(-1);
  });

  it("gives p = 1 and no shift for identical samples", () => {
    const r = mannWhitney([5, 5, 6], [5, 5, 6]);
    expect(r.p).toBe(1);
    expect(r.probabilityOfSuperiority).toBe(0.5);
  });
});

describe("small pieces", () => {
  it("normalCdf hits the textbook values", () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1)).toBeCloseTo(0.1586553, 6);
  });

  it("quantileSorted interpolates between ranks", () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([10], 0.99)).toBe(10);
  });

  it("quantileRankInterval gives the distribution-free ranks around nq", () => {
    // n = 10000, q = 0.99: nq = 9900, half width 1.96 * sqrt(99) = 19.50
    expect(quantileRankInterval(10000, 0.99)).toEqual({ lo: 9880, hi: 9921 });
  });
});

describe("bootstrapDelta", () => {
  const reps = (values: number[], seed0 = 1) => values.map((value, i) => ({ seed: seed0 + i, value }));

  it("pairs replications with the same seeds: a constant shift has a zero-width interval", () => {
    const e = bootstrapDelta(reps([100, 200, 300]), reps([110, 220, 330]));
    expect(e.method).toBe("paired-bootstrap");
    expect(e.delta).toBeCloseTo(20, 10);
    expect(e.relative).toBeCloseTo(0.1, 10);
    expect(e.relativeCi!.lo).toBeCloseTo(0.1, 10);
    expect(e.relativeCi!.hi).toBeCloseTo(0.1, 10);
  });

  it("does not pair different seeds, and the seed noise widens the interval", () => {
    const e = bootstrapDelta(reps([100, 200, 300], 1), reps([110, 220, 330], 10));
    expect(e.method).toBe("bootstrap");
    expect(e.ci!.lo).toBeLessThan(0);
    expect(e.ci!.hi).toBeGreaterThan(0);
    expect(verdictOf(e, "lower-is-better")).toBe("no significant change");
  });

  it("is deterministic", () => {
    const a = bootstrapDelta(reps([1, 2, 3, 4]), reps([2, 3, 4, 9], 7));
    const b = bootstrapDelta(reps([1, 2, 3, 4]), reps([2, 3, 4, 9], 7));
    expect(a).toEqual(b);
  });

  it("gives no interval for one unpaired replication per side", () => {
    const e = bootstrapDelta(reps([100], 1), reps([120], 2));
    expect(e.method).toBe("none");
    expect(e.ci).toBeUndefined();
    expect(verdictOf(e, "lower-is-better")).toBe("not tested");
  });
});

describe("orderStatisticDelta and verdicts", () => {
  it("combines two intervals conservatively", () => {
    const e = orderStatisticDelta({ value: 100, lo: 95, hi: 105 }, { value: 150, lo: 140, hi: 160 });
    expect(e.delta).toBe(50);
    expect(e.ci).toEqual({ lo: 35, hi: 65 });
    expect(e.relativeCi).toEqual({ lo: 0.35, hi: 0.65 });
    expect(verdictOf(e, "lower-is-better")).toBe("worse");
    expect(verdictOf(e, "higher-is-better")).toBe("better");
  });

  it("overlapping intervals are no significant change", () => {
    const e = orderStatisticDelta({ value: 100, lo: 90, hi: 110 }, { value: 104, lo: 95, hi: 112 });
    expect(verdictOf(e, "lower-is-better")).toBe("no significant change");
  });
});

describe("orderStatisticDelta bounds", () => {
  it("never reports a change below -100%", () => {
    const e = orderStatisticDelta({ value: 100, lo: 95, hi: 110 }, { value: 2, lo: 1, hi: 3 });
    expect(e.ci!.lo).toBe(-100);
    expect(e.relativeCi!.lo).toBe(-1);
  });
});
