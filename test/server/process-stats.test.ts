// The server's own process figures (GetSnapshot's `process`): its garbage-collection pauses are counted as
// they happen, cumulatively, so calibrate can take a step's pauses as the difference of two snapshots; and,
// on Linux, how long its event loop's thread waited for a CPU core.
import { spawn } from "node:child_process";
import { availableParallelism } from "node:os";
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

  it("counts the event loop's turns, cumulatively: each trip round the loop adds one", async () => {
    stats = new ProcessStats();
    const before = stats.snapshot().loopTurns;
    // The count is Node's (20.18 and later): every Node this project supports has it.
    expect(before).toBeGreaterThanOrEqual(0);
    // setImmediate callbacks run in the next turn: 50 awaited in a row take at least 50 turns.
    for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve));
    const after = stats.snapshot().loopTurns as number;
    expect(after - (before as number)).toBeGreaterThanOrEqual(50);
    // And a burst of callbacks made ready together shares one turn: 50 more at once add a few, not 50.
    await Promise.all(Array.from({ length: 50 }, () => new Promise((resolve) => setImmediate(resolve))));
    expect((stats.snapshot().loopTurns as number) - after).toBeLessThan(10);
  });

  it("reports how long its event loop's thread ran on a core, within the process's CPU (Linux)", () => {
    stats = new ProcessStats();
    const before = stats.snapshot().loopCpuMs;
    if (process.platform !== "linux") {
      expect(before).toBeUndefined();
      return;
    }
    const processBefore = process.cpuUsage();
    // Spin until this process has used 50 ms of CPU (on this thread: nothing else here is busy).
    const used = () => {
      const u = process.cpuUsage(processBefore);
      return (u.user + u.system) / 1000;
    };
    while (used() < 50) {
      // spin
    }
    const ran = (stats.snapshot().loopCpuMs as number) - (before as number);
    // The thread ran at least most of what the process used, and never more than the process (plus the
    // kernel's accounting granularity of a scheduler tick).
    expect(ran).toBeGreaterThanOrEqual(40);
    expect(ran).toBeLessThanOrEqual(used() + 10);
  });

  it("reports how long its event loop waited for a CPU core when the machine is short of cores (Linux)", () => {
    stats = new ProcessStats();
    const before = stats.snapshot().loopWaitMs;
    if (process.platform !== "linux") {
      expect(before).toBeUndefined();
      return;
    }
    expect(before).toBeGreaterThanOrEqual(0);
    // Two busy processes per core beside this thread: more runnable threads than cores, so the kernel keeps
    // this one waiting part of the time it is ready to run. Spin until the wait shows (a bounded number of
    // slices: the children spin for as long as this does).
    const busy = Array.from({ length: 2 * availableParallelism() }, () =>
      spawn("sh", ["-c", "while :; do :; done"], { stdio: "ignore" }),
    );
    let waited = 0;
    try {
      for (let slice = 0; slice < 500 && waited < 20; slice++) {
        const until = performance.now() + 10;
        while (performance.now() < until) {
          // spin: this thread wants a core all the time
        }
        waited = (stats.snapshot().loopWaitMs as number) - (before as number);
      }
    } finally {
      for (const b of busy) b.kill("SIGKILL");
    }
    expect(waited).toBeGreaterThanOrEqual(20);
  });
});
