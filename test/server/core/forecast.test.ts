import { describe, expect, it } from "vitest";
import { HoltWinters } from "../../../server/core/forecast.ts";
import { Xoshiro128 } from "../../../server/core/random.ts";

const m = 60;
/** Level 100, trend 0.5 per minute, a zero-mean seasonal wave of amplitude 40 over 60 minutes. */
const truth = (t: number) => 100 + 0.5 * t + 40 * Math.sin((2 * Math.PI * t) / m);

describe("Holt-Winters additive", () => {
  it("forecasts an exact trend + season series exactly (the known answer)", () => {
    const hw = new HoltWinters(m, 0.3, 0.1, 0.2);
    hw.fit(Array.from({ length: 3 * m }, (_, t) => truth(t)));
    for (const h of [1, 15, 30, 60, 90]) expect(hw.forecast(h)).toBeCloseTo(truth(3 * m - 1 + h), 6);
    // The peak of the next half hour: the wave's crest at t = 195 (plus trend).
    expect(hw.peak(30)).toBeCloseTo(Math.max(...Array.from({ length: 30 }, (_, i) => truth(3 * m + i))), 6);
  });

  it("keeps the one-step error small on a noisy seasonal series", () => {
    const rng = new Xoshiro128(4);
    const series = Array.from({ length: 10 * m }, (_, t) => truth(t) + (rng.next() - 0.5) * 10);
    const hw = new HoltWinters(m, 0.2, 0.01, 0.2);
    hw.fit(series.slice(0, 2 * m));
    let absError = 0;
    let n = 0;
    for (let t = 2 * m; t < series.length; t++) {
      absError += Math.abs(hw.forecast(1) - truth(t)) / truth(t);
      n++;
      hw.update(series[t]!);
    }
    expect(absError / n).toBeLessThan(0.03);
  });

  it("copes with less than a season of history and never forecasts negative demand", () => {
    const hw = new HoltWinters(m, 0.3, 0.1, 0.2);
    expect(hw.forecast(1)).toBe(0);
    hw.fit([10, 20, 30]);
    expect(hw.forecast(1)).toBeGreaterThanOrEqual(0);
    hw.fit(Array.from({ length: 2 * m }, (_, t) => (t < m ? 100 : 0)));
    expect(hw.forecast(10)).toBe(0);
  });
});
