// Execution segments (traffic/segment.ts): n shards, each with its own number of engines, send
// together exactly the unsharded schedule, every iteration once, interleaved (each shard's share of any
// second differs from 1/n of it by at most one iteration); maxVUs split without loss.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { segmentFromFlags } from "../../cli/segment-flags.ts";
import { planFor } from "../../traffic/executors/index.ts";
import type { OpenPlan } from "../../traffic/executors/types.ts";
import { engineShare, parseSegment, splitCount, stripe, stripeCount } from "../../traffic/segment.ts";

const executor = fc.oneof(
  fc.record({
    executor: fc.constant("constant-arrival-rate" as const),
    rate: fc.integer({ min: 1, max: 3000 }),
    duration: fc.integer({ min: 100, max: 3000 }),
    maxVUs: fc.integer({ min: 1, max: 500 }),
  }),
  fc.record({
    executor: fc.constant("ramping-arrival-rate" as const),
    startRate: fc.integer({ min: 0, max: 2000 }),
    stages: fc.array(
      fc.record({ target: fc.integer({ min: 0, max: 3000 }), duration: fc.integer({ min: 100, max: 2000 }) }),
      { minLength: 1, maxLength: 3 },
    ),
    maxVUs: fc.integer({ min: 1, max: 500 }),
  }),
);
/** Shards, each with its own worker-thread count (a shard sizes its threads on its own). */
const shards = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 8 });

function perSecond(plan: OpenPlan, iterations: Iterable<number>): Map<number, number> {
  const out = new Map<number, number>();
  for (const i of iterations) {
    const s = Math.floor(plan.startTimeMs(i) / 1000);
    out.set(s, (out.get(s) ?? 0) + 1);
  }
  return out;
}

describe("execution segments", () => {
  it("n shards of W threads each send every iteration of the unsharded schedule exactly once", () => {
    fc.assert(
      fc.property(executor, shards, (exec, workers) => {
        const plan = planFor(exec) as OpenPlan;
        const n = workers.length;
        const sent: number[] = [];
        let vus = 0;
        workers.forEach((W, s) => {
          for (let w = 0; w < W; w++) {
            const share = engineShare({ index: s, count: n }, w, W);
            const mine = [...stripe(plan.count, share)];
            expect(mine.length).toBe(stripeCount(plan.count, share));
            // Every iteration a thread of shard s runs is one of shard s's: i mod n = s.
            expect(mine.every((i) => i % n === s)).toBe(true);
            sent.push(...mine);
          }
          vus += splitCount(plan.maxVUs, { index: s, of: n });
        });
        expect(sent.length).toBe(plan.count);
        expect(new Set(sent).size).toBe(plan.count);
        expect(Math.min(...sent, 0)).toBe(0);
        expect(Math.max(...sent, plan.count - 1)).toBe(plan.count - 1);
        expect(vus).toBe(plan.maxVUs);
      }),
      { numRuns: 200 },
    );
  });

  it("interleaves the shards: each sends its 1/n of every second, to within one iteration", () => {
    fc.assert(
      fc.property(executor, fc.integer({ min: 1, max: 8 }), (exec, n) => {
        const plan = planFor(exec) as OpenPlan;
        const whole = perSecond(plan, stripe(plan.count, { index: 0, of: 1 }));
        const sum = new Map<number, number>();
        for (let s = 0; s < n; s++) {
          const part = perSecond(plan, stripe(plan.count, engineShare({ index: s, count: n }, 0, 1)));
          for (const [second, total] of whole) {
            const got = part.get(second) ?? 0;
            expect(Math.abs(got - total / n)).toBeLessThanOrEqual(1);
            sum.set(second, (sum.get(second) ?? 0) + got);
          }
        }
        expect(sum).toEqual(whole);
      }),
      { numRuns: 100 },
    );
  });

  it("parses I/N and refuses what is not a shard, naming the flag", () => {
    expect(parseSegment("2/3")).toEqual({ index: 2, count: 3 });
    expect(() => parseSegment("3/3")).toThrow(
      /--segment: the index must be a whole number from 0 to 2, got 3/,
    );
    expect(() => parseSegment("1/0", "--shard")).toThrow(/--shard: the count must be/);
    expect(() => parseSegment("half")).toThrow(/--segment must be INDEX\/COUNT/);
  });

  it("takes the index from $JOB_COMPLETION_INDEX when only the count is given", () => {
    const env = { JOB_COMPLETION_INDEX: "2" };
    expect(segmentFromFlags("segment", { "segment-count": "4" }, env)).toEqual({ index: 2, count: 4 });
    expect(segmentFromFlags("shard", { "shard-count": "4", "shard-index": "1" }, env)).toEqual({
      index: 1,
      count: 4,
    });
    expect(segmentFromFlags("segment", {}, env)).toBeUndefined();
    expect(() => segmentFromFlags("segment", { "segment-count": "2" }, env)).toThrow(
      /\$JOB_COMPLETION_INDEX: the index must be a whole number from 0 to 1, got 2/,
    );
    expect(() => segmentFromFlags("segment", { "segment-count": "2" }, {})).toThrow(
      /--segment-count 2 needs the shard's index: --segment-index I, or \$JOB_COMPLETION_INDEX/,
    );
    expect(() => segmentFromFlags("segment", { segment: "0/2", "segment-count": "2" }, {})).toThrow(
      /alternatives/,
    );
  });
});
