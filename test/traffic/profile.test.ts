import { describe, expect, it } from "vitest";
import { aggregationKey, judgeThresholds, parseThreshold } from "../../results/thresholds.ts";
import { validateScenario } from "../../scenarios/define.ts";
import type { Traffic } from "../../scenarios/schema.ts";
import { expectedArrivals, peakRate, rateAt, totalDuration } from "../../traffic/profile.ts";

function traffic(t: unknown): Traffic {
  return validateScenario({
    name: "t",
    traffic: t,
    providers: [{ id: "p", latency: { p50: 1, p99: 2 }, capacity: 1 }],
    cluster: { primary: { workers: 1 }, backup: { workers: 1 } },
  }).traffic;
}

describe("rateAt / totalDuration (k6 ramping semantics)", () => {
  const ramp = traffic({
    executor: "ramping-arrival-rate",
    startRate: 100,
    stages: [
      { target: 400, duration: "30s" },
      { target: 400, duration: "10s" },
      { target: 0, duration: "20s" },
    ],
  });

  it("ramps linearly from the previous target", () => {
    expect(totalDuration(ramp)).toBe(60_000);
    expect(rateAt(ramp, 0)).toBe(100);
    expect(rateAt(ramp, 15_000)).toBe(250);
    expect(rateAt(ramp, 30_000)).toBe(400);
    expect(rateAt(ramp, 35_000)).toBe(400);
    expect(rateAt(ramp, 50_000)).toBe(200);
    expect(rateAt(ramp, 60_000)).toBe(0);
    expect(rateAt(ramp, -1)).toBe(0);
    expect(peakRate(ramp)).toBe(400);
  });

  it("integrates the rate exactly", () => {
    // 30 s averaging 250/s + 10 s at 400/s + 20 s averaging 200/s
    expect(expectedArrivals(ramp, 60_000)).toBeCloseTo(7500 + 4000 + 4000, 6);
    expect(expectedArrivals(ramp, 15_000)).toBeCloseTo(15 * 175, 6);
  });

  it("honours timeUnit for a constant rate", () => {
    const c = traffic({ executor: "constant-arrival-rate", rate: 60, timeUnit: "1m", duration: "2m" });
    expect(rateAt(c, 1000)).toBe(1);
    expect(rateAt(c, 120_000)).toBe(0);
    expect(expectedArrivals(c, 120_000)).toBeCloseTo(120, 9);
  });

  it("gives VU counts for VU executors", () => {
    const v = traffic({ executor: "ramping-vus", stages: [{ target: 10, duration: "10s" }] });
    expect(rateAt(v, 5000)).toBe(5);
    expect(totalDuration(v)).toBe(10_000);
  });
});

describe("thresholds", () => {
  it("parses k6 expressions", () => {
    expect(parseThreshold("p(99)<2000")).toMatchObject({
      aggregation: { kind: "p", percentile: 99 },
      op: "<",
      value: 2000,
    });
    expect(parseThreshold("rate <= 0.01")).toMatchObject({
      aggregation: { kind: "rate" },
      op: "<=",
      value: 0.01,
    });
    expect(parseThreshold("count==0").op).toBe("==");
    expect(aggregationKey(parseThreshold("p(99.9)<5").aggregation)).toBe("p(99.9)");
    expect(() => parseThreshold("p99<2000")).toThrow(/not a threshold/);
    expect(() => parseThreshold("p(120)<1")).toThrow(/between 0 and 100/);
  });

  it("judges against observed values; a missing value fails", () => {
    const results = judgeThresholds(
      { latency: ["p(99)<2000", "avg<100"], errors: ["rate<0.01"], duplicate_cards: ["count==0"] },
      { latency: { "p(99)": 1830, avg: 120 }, errors: { rate: 0.001 } },
    );
    expect(results).toEqual([
      { metric: "latency", expression: "p(99)<2000", observed: 1830, pass: true },
      { metric: "latency", expression: "avg<100", observed: 120, pass: false },
      { metric: "errors", expression: "rate<0.01", observed: 0.001, pass: true },
      { metric: "duplicate_cards", expression: "count==0", observed: null, pass: false },
    ]);
  });
});
