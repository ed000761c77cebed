import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mergeFinals, mergeWindows, zeroCounts } from "../../load/window-stats.ts";
import { LatencyHistogram } from "../../results/histogram.ts";
import { buckets } from "./buckets.ts";

describe("merging across workers", () => {
  it("histograms merged from any split of the samples equal one histogram of all samples", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: 0, max: 60_000, noNaN: true }), fc.integer({ min: 0, max: 3 })), {
          minLength: 1,
          maxLength: 400,
        }),
        (samples) => {
          const one = LatencyHistogram.create();
          const parts = [0, 1, 2, 3].map(() => LatencyHistogram.create());
          for (const [ms, k] of samples) {
            one.record(ms);
            parts[k]?.record(ms);
          }
          const windows = parts.map((h, k) => ({
            index: 3,
            counts: { ...zeroCounts(), delivered: k },
            latency: h.encode(),
            maxSendLagMs: k,
            inFlight: 1,
          }));
          const merged = mergeWindows(windows);
          expect(merged.histogram.count).toBe(one.count);
          for (const p of [0, 50, 90, 99, 99.9, 100])
            expect(merged.histogram.percentile(p)).toBe(one.percentile(p));
          expect(buckets(merged.histogram.encode())).toEqual(buckets(one.encode()));
          expect(merged.counts.delivered).toBe(6);
          expect(merged.maxSendLagMs).toBe(3);
          expect(merged.inFlight).toBe(4);
          const finals = mergeFinals(
            parts.map((h) => ({
              counts: zeroCounts(),
              overall: h.encode(),
              byLane: { vip: h.encode() },
              byCohort: {},
              byStage: { issuing: h.encode() },
              maxSendLagMs: 0,
              windows: 1,
              errorCodes: { UNAVAILABLE: 1 },
              errorSamples: { UNAVAILABLE: "down" },
            })),
          );
          expect(buckets(finals.overall.encode())).toEqual(buckets(one.encode()));
          expect(finals.errorCodes).toEqual({ UNAVAILABLE: 4 });
          expect(buckets(finals.byLane.vip?.encode() ?? "")).toEqual(buckets(one.encode()));
          expect(buckets(finals.byStage.issuing?.encode() ?? "")).toEqual(buckets(one.encode()));
        },
      ),
      { numRuns: 50 },
    );
  });
});
