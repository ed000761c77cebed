import { describe, expect, it } from "vitest";
import { planFor, scaleExecutor, validateExecutor, vusAt } from "../../../traffic/executors/index.ts";
import type { OpenPlan } from "../../../traffic/executors/types.ts";

function times(plan: OpenPlan): number[] {
  return Array.from({ length: plan.count }, (_, i) => plan.startTimeMs(i));
}

describe("constant-arrival-rate", () => {
  it("starts iteration i at exactly i * timeUnit / rate, from 0 and never at the end", () => {
    const plan = planFor({ executor: "constant-arrival-rate", rate: 10, duration: "1s" }) as OpenPlan;
    expect(plan.count).toBe(10);
    expect(times(plan)).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
  });

  it("honours timeUnit and a duration that is not a multiple of the interval", () => {
    const plan = planFor({
      executor: "constant-arrival-rate",
      rate: 3,
      timeUnit: "2s",
      duration: 5000,
    }) as OpenPlan;
    expect(plan.count).toBe(8); // 0, 666.7, ..., 4666.7
    expect(plan.startTimeMs(7)).toBeCloseTo(4666.667, 3);
    expect(plan.peakRatePerSec).toBeCloseTo(1.5, 9);
  });

  it("does not lose an iteration to floating point (0.1/s for 30 s is exactly 3)", () => {
    const plan = planFor({ executor: "constant-arrival-rate", rate: 0.1, duration: "30s" }) as OpenPlan;
    expect(plan.count).toBe(3);
  });

  it("sizes VUs from the rate by default and keeps explicit ones", () => {
    const d = planFor({ executor: "constant-arrival-rate", rate: 1000, duration: "1s" }) as OpenPlan;
    expect(d.maxVUs).toBe(5000);
    expect(d.preAllocatedVUs).toBe(100);
    const e = planFor({
      executor: "constant-arrival-rate",
      rate: 1000,
      duration: "1s",
      maxVUs: 7,
      preAllocatedVUs: 2,
    });
    expect(e.maxVUs).toBe(7);
  });
});

describe("ramping-arrival-rate", () => {
  // 0 -> 20/s over 2 s, 20/s for 1 s, 20 -> 0/s over 2 s. Integrated: 20 + 20 + 20 iterations.
  const config = {
    executor: "ramping-arrival-rate" as const,
    startRate: 0,
    stages: [
      { target: 20, duration: "2s" },
      { target: 20, duration: "1s" },
      { target: 0, duration: "2s" },
    ],
  };
  const plan = planFor(config) as OpenPlan;

  it("counts exactly the integral of the rate", () => {
    expect(plan.count).toBe(60);
    expect(plan.durationMs).toBe(5000);
    expect(plan.peakRatePerSec).toBe(20);
  });

  it("starts iteration n (1-based) when the integrated rate reaches n: a ramp up", () => {
    // I(t) = 5 t^2  =>  t_n = sqrt(n / 5) s
    for (let n = 1; n <= 20; n++) expect(plan.startTimeMs(n - 1)).toBeCloseTo(Math.sqrt(n / 5) * 1000, 6);
    expect(plan.startTimeMs(4)).toBeCloseTo(1000, 9);
    expect(plan.startTimeMs(19)).toBeCloseTo(2000, 9);
  });

  it("spaces a flat stage evenly", () => {
    for (let n = 21; n <= 40; n++) expect(plan.startTimeMs(n - 1)).toBeCloseTo(2000 + (n - 20) * 50, 6);
  });

  it("follows a ramp down", () => {
    // I(t) = 20 t - 5 t^2 over the stage  =>  t_m = 2 - sqrt(4 - m / 5) s
    for (let m = 1; m <= 20; m++) {
      expect(plan.startTimeMs(40 + m - 1)).toBeCloseTo(3000 + (2 - Math.sqrt(4 - m / 5)) * 1000, 6);
    }
    expect(plan.startTimeMs(54)).toBeCloseTo(4000, 6);
    expect(plan.startTimeMs(59)).toBeCloseTo(5000, 6);
  });

  it("never goes back in time", () => {
    const all = times(plan);
    for (let i = 1; i < all.length; i++) expect(all[i]).toBeGreaterThan(all[i - 1] as number);
  });

  it("skips a stage at rate zero and starts from a non-zero startRate", () => {
    const p = planFor({
      executor: "ramping-arrival-rate",
      startRate: 10,
      stages: [
        { target: 10, duration: "1s" },
        { target: 0, duration: "1s" },
        { target: 0, duration: "1s" },
        { target: 10, duration: "1s" },
      ],
    }) as OpenPlan;
    expect(p.count).toBe(20);
    expect(p.startTimeMs(0)).toBeCloseTo(100, 9);
    expect(p.startTimeMs(9)).toBeCloseTo(1000, 9);
    // Ramp down: I(t) = 10 t - 5 t^2 from t = 1 s reaches 5 at t = 2 s.
    expect(p.startTimeMs(10)).toBeCloseTo(1000 + (1 - Math.sqrt(1 - 1 / 5)) * 1000, 6);
    expect(p.startTimeMs(14)).toBeCloseTo(2000, 6);
    // The stage at rate zero adds nothing; last stage: I(t) = 5 t^2 from t = 3 s.
    expect(p.startTimeMs(15)).toBeCloseTo(3000 + Math.sqrt(1 / 5) * 1000, 6);
    expect(p.startTimeMs(19)).toBeCloseTo(4000, 6);
  });
});

describe("ramping-vus", () => {
  it("changes the VU count one at a time at exact moments", () => {
    const plan = planFor({
      executor: "ramping-vus",
      startVUs: 0,
      stages: [
        { target: 4, duration: "2s" },
        { target: 4, duration: "1s" },
        { target: 2, duration: "1s" },
      ],
    });
    expect(plan.model).toBe("closed");
    if (plan.model !== "closed") return;
    expect(plan.steps).toEqual([
      { atMs: 0, vus: 0 },
      { atMs: 500, vus: 1 },
      { atMs: 1000, vus: 2 },
      { atMs: 1500, vus: 3 },
      { atMs: 2000, vus: 4 },
      { atMs: 3500, vus: 3 },
      { atMs: 4000, vus: 2 },
    ]);
    expect(plan.durationMs).toBe(4000);
    expect(plan.maxVUs).toBe(4);
    expect(vusAt(plan, 1499)).toBe(2);
    expect(vusAt(plan, 3999)).toBe(3);
    expect(vusAt(plan, 4000)).toBe(0);
  });

  it("constant-vus keeps its VUs for the duration", () => {
    const plan = planFor({ executor: "constant-vus", vus: 3, duration: "2s" });
    if (plan.model !== "closed") throw new Error("closed expected");
    expect(vusAt(plan, 0)).toBe(3);
    expect(vusAt(plan, 1999)).toBe(3);
    expect(vusAt(plan, 2000)).toBe(0);
  });
});

describe("validate", () => {
  it("returns every error with its path", () => {
    const errors = validateExecutor(
      {
        executor: "ramping-arrival-rate",
        startRate: -1,
        timeUnit: "fortnight",
        stages: [{ target: 10, duration: "10x" }, { target: -5, duration: "1s" }, null],
        preAllocatedVUs: 10,
        maxVUs: 5,
      },
      "traffic.",
    );
    expect(errors).toEqual([
      "traffic.startRate: must be >= 0",
      'traffic.timeUnit: expected a duration like "30s", "2m", "1h", "500ms" or a number of milliseconds, got "fortnight"',
      'traffic.stages[0].duration: expected a duration like "30s", "2m", "1h", "500ms" or a number of milliseconds, got "10x"',
      "traffic.stages[1].target: must be >= 0",
      "traffic.stages[2]: Invalid input: expected object, received null",
    ]);
    // Cross-field checks run once the fields themselves are valid.
    expect(
      validateExecutor(
        {
          executor: "ramping-arrival-rate",
          stages: [{ target: 10, duration: "1s" }],
          preAllocatedVUs: 10,
          maxVUs: 5,
        },
        "traffic.",
      ),
    ).toEqual(["traffic.maxVUs: must be >= preAllocatedVUs (10), got 5"]);
  });

  it("reports each executor's own fields", () => {
    expect(validateExecutor({ executor: "constant-arrival-rate", rate: -1, duration: "0s" })).toEqual([
      "rate: must be >= 0",
      "duration: must be longer than 0",
    ]);
    expect(validateExecutor({ executor: "constant-vus", vus: 1.5, duration: "1s" })).toEqual([
      "vus: expected an integer",
    ]);
    expect(validateExecutor({ executor: "ramping-vus", stages: [] })).toEqual([
      "stages: needs at least one stage",
    ]);
    expect(validateExecutor({ executor: "shared-iterations" })[0]).toMatch(
      /^executor: executor must be one of/,
    );
    expect(validateExecutor({ executor: "shared-iterations" }, "traffic.")[0]).toMatch(
      /^traffic\.executor: executor must be one of/,
    );
  });
});

describe("scaleExecutor", () => {
  it("multiplies the duration of every stage", () => {
    const scaled = scaleExecutor(
      {
        executor: "ramping-arrival-rate",
        stages: [
          { target: 20, duration: "2s" },
          { target: 0, duration: "1m" },
        ],
      },
      0.5,
    );
    expect(scaled.executor === "ramping-arrival-rate" && scaled.stages.map((s) => s.duration)).toEqual([
      1000, 30_000,
    ]);
    const plan = planFor({ executor: "constant-arrival-rate", rate: 10, duration: "10s" });
    const half = planFor(
      scaleExecutor({ executor: "constant-arrival-rate", rate: 10, duration: "10s" }, 0.5),
    );
    expect(half.durationMs).toBe(plan.durationMs / 2);
  });
});
