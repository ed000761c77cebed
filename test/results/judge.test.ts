import { describe, expect, it } from "vitest";
import { LatencyHistogram } from "../../results/histogram.ts";
import { judgeObserved, type Observed } from "../../results/judge.ts";
import type { PointSummary, RunCounters } from "../../results/run-result.ts";

const counters: RunCounters = {
  submitted: 1000,
  delivered: 990,
  failed: 4,
  rejected: 3,
  retried: 20,
  dropped: 0,
  duplicateCards: 0,
  cacheHits: 0,
  routeSwitches: 0,
  timeouts: 2,
  unfinished: 3,
};

function point(throughputPeak: number, throughputMean: number, cpu: number): PointSummary {
  return {
    throughputPeak,
    throughputMean,
    p50: 0,
    p95: 0,
    p99: 0,
    p999: 0,
    max: 0,
    cpuPeak: { primary: cpu },
    errorRate: 0,
    retries: 0,
  };
}

function observed(): Observed {
  const overall = LatencyHistogram.create();
  for (let i = 1; i <= 100; i++) overall.record(i * 10);
  return { overall, cohorts: new Map(), counters, points: [point(120, 80, 0.5), point(140, 90, 0.7)] };
}

describe("judgeObserved", () => {
  it("judges latency on the merged histogram and counts unfinished orders as errors", () => {
    const r = judgeObserved(
      { latency: ["p(99)<995", "p(99)<980"], errors: ["rate<=0.01", "count<10"] },
      observed(),
    );
    expect(r.map((x) => x.pass)).toEqual([true, false, true, false]);
    expect(r[2]?.observed).toBe(0.01);
    expect(r[3]?.observed).toBe(10);
  });

  it("reads series metrics from each replication's points: max of peaks, avg of means", () => {
    const r = judgeObserved({ throughput: ["max>=140", "avg==85"], cpu_primary: ["max<0.7"] }, observed());
    expect(r.map((x) => [x.observed, x.pass])).toEqual([
      [140, true],
      [85, true],
      [0.7, false],
    ]);
  });

  it("judges goodput on the points and the business counts on the counters; absent in old runs, they fail", () => {
    const o = observed();
    const withRows: Observed = {
      ...o,
      counters: { ...counters, interventions: 5, complaintRisk: 20 },
      points: o.points.map((p, k) => ({ ...p, goodputPeak: 100 + 10 * k, goodputMean: 60 + 10 * k })),
    };
    const thresholds = {
      goodput: ["max>=110", "avg>70"],
      interventions: ["count<=5", "rate<0.005"],
      complaint_risk: ["rate<0.01"],
    };
    expect(judgeObserved(thresholds, withRows).map((x) => [x.observed, x.pass])).toEqual([
      [110, true],
      [65, false],
      [5, true],
      [0.005, false],
      [0.02, false],
    ]);
    expect(judgeObserved(thresholds, o).map((x) => x.observed)).toEqual([null, null, null, null, null]);
  });

  it("fails a threshold whose metric was not observed, with observed null", () => {
    const r = judgeObserved({ latency_vip: ["p(99)<1000"], nonsense: ["count==0"] }, observed());
    expect(r).toEqual([
      { metric: "latency_vip", expression: "p(99)<1000", observed: null, pass: false },
      { metric: "nonsense", expression: "count==0", observed: null, pass: false },
    ]);
  });
});
