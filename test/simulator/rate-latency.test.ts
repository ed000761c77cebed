// A service latency measured at several arrival rates (a calibration profile's `byRate`) is drawn at the
// primary's arrival rate over the last second: the same scenario run slower and faster sees the provider
// answer as the calibration saw it at each rate, with the quantiles interpolated between measured rates.
import { describe, expect, it } from "vitest";
import { LatencyHistogram } from "../../results/histogram.ts";
import { validateScenario } from "../../scenarios/define.ts";
import { presetConfig } from "../../server/core/config.ts";
import { simulate } from "../../simulator/runner.ts";

/** One provider that answered in 10 ms at 100/s and in 50 ms at 1,000/s; no CPU cost, no faults. */
function scenarioAt(rate: number) {
  return validateScenario({
    name: "rate-latency",
    seed: 11,
    traffic: { executor: "constant-arrival-rate", rate, duration: "20s" },
    skus: { count: 20, zipfExponent: 1 },
    providers: [
      {
        id: "p1",
        latency: {
          dist: "empirical",
          values: [10],
          byRate: [
            { rate: 100, values: [10] },
            { rate: 1000, values: [50] },
          ],
        },
        capacity: 1000,
      },
    ],
    compare: { baseline: "legacy", candidate: "adaptive" },
    cluster: {
      primary: { workers: 400 },
      backup: { workers: 100 },
      cpuCostMs: { accept: 0, allocate: 0, issue: 0, deliver: 0, retry: 0 },
    },
    drain: "5s",
    window: "1s",
    thresholds: { latency: ["p(99)<2000"] },
  });
}

function issuingMedian(rate: number): number {
  const [run] = simulate(scenarioAt(rate), {
    arms: [{ name: "adaptive", role: "single", config: presetConfig("adaptive")! }],
    replications: 1,
  });
  return LatencyHistogram.decode(run!.histograms.byStage!.issuing!).percentile(50);
}

describe("a latency measured at several rates", () => {
  it("is drawn at the primary's arrival rate, between the measured rates", () => {
    // At 100/s the rate over the last second is 100 +- 10 (Poisson), so the draw is 10 ms to within 0.5 ms.
    expect(Math.abs(issuingMedian(100) - 10)).toBeLessThan(1);
    // At 550/s: halfway, 30 ms; the rate's +-23/s (one standard deviation) moves a draw by about 1 ms, and
    // the median of ~11,000 orders by far less.
    expect(Math.abs(issuingMedian(550) - 30)).toBeLessThan(2);
  });
});
