// The maths of `rushhour tune` (reports/tuning/): the Latin hypercube, the racing schedule, the sensitivity
// index, the Pareto front and the live-agreement rule.
import { describe, expect, it } from "vitest";
import { agreement, firstOrderIndex, paretoFront } from "../../reports/tuning/analysis.ts";
import { designCandidates, latinHypercube } from "../../reports/tuning/design.ts";
import { fullEvaluationRuns, raceSchedule } from "../../reports/tuning/race.ts";
import { Xoshiro128 } from "../../server/core/random.ts";

describe("tuning design", () => {
  it("puts exactly one point in each of the n strata of every dimension", () => {
    const pts = latinHypercube(20, 3, new Xoshiro128(1));
    for (let j = 0; j < 3; j++) {
      const strata = pts.map((p) => Math.floor(p[j]! * 20)).sort((a, b) => a - b);
      expect(strata).toEqual(Array.from({ length: 20 }, (_, i) => i));
    }
  });

  it("gives distinct candidates, the same ones for the same seed, and all of a small grid", () => {
    const dims = [{ grid: [1, 2, 3, 4] }, { grid: ["a", "b"] }];
    const a = designCandidates(8, dims, 5);
    expect(a).toEqual(designCandidates(8, dims, 5));
    expect(new Set(a.map((p) => JSON.stringify(p))).size).toBe(8);
    expect(designCandidates(20, dims, 5)).toHaveLength(8);
    expect(designCandidates(8, [{ range: [0, 1] }], 6)).not.toEqual(
      designCandidates(8, [{ range: [0, 1] }], 5),
    );
  });
});

describe("racing schedule", () => {
  it("fits the budget, cuts by three to three finalists, and costs less than full evaluation", () => {
    const s = raceSchedule(36);
    expect(s.rungs).toEqual([
      { candidates: 15, reps: 1 },
      { candidates: 5, reps: 3 },
      { candidates: 3, reps: 6 },
    ]);
    expect(s.runs).toBe(15 + 5 * 2 + 3 * 3);
    expect(fullEvaluationRuns(s)).toBe(90);
    expect(raceSchedule(1000).runs).toBeLessThanOrEqual(1000);
  });
});

describe("tuning analysis", () => {
  it("first-order index: 1 when the parameter explains everything, 0 when nothing", () => {
    expect(firstOrderIndex([1, 1, 2, 2], [5, 5, 9, 9])).toBeCloseTo(1);
    expect(firstOrderIndex(["a", "b", "a", "b"], [5, 5, 9, 9])).toBeCloseTo(0);
  });

  it("Pareto front keeps the points nothing beats on both", () => {
    const front = paretoFront([
      { id: 1, objective: 100, cost: 10 },
      { id: 2, objective: 50, cost: 20 },
      { id: 3, objective: 60, cost: 30 },
      { id: 4, objective: 10, cost: 40 },
    ]);
    expect(front.map((p) => p.id)).toEqual([1, 2, 4]);
  });

  it("live agreement: direction by sign, size within a factor of two", () => {
    expect(agreement({ current: 100, recommended: 60 }, { current: 200, recommended: 130 }).verdict).toBe(
      "agrees",
    );
    expect(agreement({ current: 100, recommended: 60 }, { current: 200, recommended: 190 }).verdict).toBe(
      "agrees in direction only",
    );
    expect(agreement({ current: 100, recommended: 60 }, { current: 200, recommended: 260 }).verdict).toBe(
      "disagrees",
    );
    expect(agreement({ current: 100, recommended: 101 }, { current: 200, recommended: 199 }).verdict).toBe(
      "agrees",
    );
  });
});
