// The server's own process figures (GetSnapshot's `process`): its garbage-collection pauses are counted as
// they happen, cumulatively, so calibrate can take a step's pauses as the difference of two snapshots.
import { afterEach, describe, expect, it } from "vitest";
import { ProcessStats } from "../../server/process-stats.ts";

describe("ProcessStats", () => {
  let stats: ProcessStats | undefined;
  afterEach(() => stats?.stop());

  it("counts garbage-collection pauses and their length, cumulatively", async () => {
    stats = new ProcessStats();
    expect(stats.snapshot()).toMatchObject({ gcPauses: 0, gcPauseMs: 0 });
    // Allocate short-lived garbage until a collection has been reported (the observer is called on a later
    // turn of the event loop, so each round yields once). Bounded: a young generation fills long before.
    let kept = 0;
    for (let round = 0; round < 2000 && stats.snapshot().gcPauses === 0; round++) {
      const garbage = Array.from({ length: 50_000 }, (_, i) => ({ i, s: `order-${i}` }));
      kept += garbage.length;
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(kept).toBeGreaterThan(0);
    const first = stats.snapshot();
    expect(first.gcPauses).toBeGreaterThanOrEqual(1);
    expect(first.gcPauseMs).toBeGreaterThan(0);
    // Cumulative: a later snapshot never reads fewer.
    for (let round = 0; round < 20; round++) {
      Array.from({ length: 50_000 }, (_, i) => ({ i }));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const later = stats.snapshot();
    expect(later.gcPauses).toBeGreaterThanOrEqual(first.gcPauses);
    expect(later.gcPauseMs).toBeGreaterThanOrEqual(first.gcPauseMs);
  });
});
