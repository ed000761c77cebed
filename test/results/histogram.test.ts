// The latency histogram's round trip through its encoding: what a decoded histogram can still do. A
// calibrate step subtracts the server's cumulative timings at its start from those at its end, and merges
// add shards' histograms together; both work on decoded histograms of different ranges.
import { describe, expect, it } from "vitest";
import { LatencyHistogram } from "../../results/histogram.ts";

describe("a decoded latency histogram", () => {
  it("subtracts an earlier snapshot of itself whose largest value sits at the top of its range", () => {
    // Maxima just under a power of two of microseconds land in the top slot of the range the histogram
    // grew to (524.18 ms was one such: it stopped a calibrate run).
    for (const max of [524.18, 1048.1, 2096.31, 3.7, 77.7, 9000]) {
      const h = LatencyHistogram.create();
      h.record(1);
      h.record(max);
      const before = h.encode();
      h.record(0.5, 3);
      const step = LatencyHistogram.decode(h.encode()).subtract(LatencyHistogram.decode(before));
      expect(step.count).toBe(3);
      expect(step.max).toBeCloseTo(0.5, 2);
    }
  });

  it("takes in a decoded histogram of a wider range", () => {
    const narrow = LatencyHistogram.create();
    narrow.record(1);
    const wide = LatencyHistogram.create();
    wide.record(30_000);
    const merged = LatencyHistogram.decode(narrow.encode()).merge(LatencyHistogram.decode(wide.encode()));
    expect(merged.count).toBe(2);
    expect(merged.max).toBeCloseTo(30_000, -2);
  });
});
