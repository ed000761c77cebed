// The open model's send loop (load/open-loop.ts) on a fake clock: virtual time, timers that fire late the
// way Node's do (1 ms steps, up to a further millisecond), sends that take CPU time, and event-loop stalls.
// What a user sees: the per-second sent counts (binned by the instant each order was sent, from the shared
// start) follow the schedule's per-second counts; a stall makes orders late, never lost or sent twice.
import { describe, expect, it } from "vitest";
import { type LoopHost, OpenLoop } from "../../load/open-loop.ts";
import { planFor } from "../../traffic/executors/index.ts";
import type { OpenPlan } from "../../traffic/executors/types.ts";

/** A virtual event loop: one clock, timers in due order, callbacks that advance the clock by their cost. */
class FakeLoop implements LoopHost {
  t = -50;
  private queue: { at: number; seq: number; fn: () => void }[] = [];
  private seq = 0;
  /** Deterministic jitter (a linear congruential generator): timers fire 0..1 ms after their step. */
  private state = 12345;
  /** Stalls: [from, ms] — the loop is busy (GC, another callback) for `ms` when it reaches `from`. */
  constructor(private readonly stalls: [number, number][] = []) {}

  private jitter(): number {
    this.state = (this.state * 1103515245 + 12345) % 2 ** 31;
    return this.state / 2 ** 31;
  }

  now(): number {
    return this.t;
  }
  sleep(ms: number, fn: () => void): void {
    expect(Number.isInteger(ms) && ms >= 1).toBe(true);
    this.queue.push({ at: this.t + ms + this.jitter(), seq: this.seq++, fn });
  }
  yieldThen(fn: () => void): void {
    this.queue.push({ at: this.t + 0.01, seq: this.seq++, fn });
  }
  /** Runs callbacks in time order until none is left. */
  run(): void {
    while (this.queue.length > 0) {
      this.queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.queue.shift() as { at: number; fn: () => void };
      this.t = Math.max(this.t, next.at);
      for (const stall of this.stalls) {
        if (stall[1] > 0 && this.t >= stall[0]) {
          this.t += stall[1];
          stall[1] = 0;
        }
      }
      next.fn();
    }
  }
}

interface Sent {
  i: number;
  at: number;
  sentAt: number;
}

function drive(rate: number, seconds: number, stalls: [number, number][] = [], shards = 1) {
  const plan = planFor({ executor: "constant-arrival-rate", rate, duration: `${seconds}s` }) as OpenPlan;
  const sent: Sent[] = [];
  let wakeups = 0;
  let ended = 0;
  // Shards share one virtual clock here (their processes share the start instant: load --start-at).
  const host = new FakeLoop(stalls);
  for (let k = 0; k < shards; k++) {
    const loop = new OpenLoop(
      plan,
      k,
      shards,
      host,
      (i, at) => {
        sent.push({ i, at, sentAt: host.now() });
        host.t += 0.02; // a send costs 20 us of the loop's time
      },
      () => {
        ended++;
        wakeups += loop.wakeups;
      },
    );
    loop.start();
  }
  host.run();
  const perSecond = (times: number[]) => {
    const out = new Array<number>(seconds + 1).fill(0);
    for (const t of times) {
      const s = Math.floor(t / 1000);
      out[s] = (out[s] ?? 0) + 1;
    }
    return out;
  };
  return {
    plan,
    sent,
    ended,
    wakeups,
    schedule: perSecond(sent.map((s) => s.at)),
    actual: perSecond(sent.map((s) => s.sentAt)),
  };
}

function worstDeviation(actual: number[], schedule: number[]): number {
  let worst = 0;
  for (let s = 0; s < schedule.length; s++)
    if ((schedule[s] as number) > 0)
      worst = Math.max(
        worst,
        Math.abs((actual[s] as number) - (schedule[s] as number)) / (schedule[s] as number),
      );
  return worst;
}

describe("the open model's send loop, on a fake clock", () => {
  it("sends each iteration once, never early, at the schedule's per-second counts within 1%", () => {
    const r = drive(5000, 5);
    expect(r.ended).toBe(1);
    expect(r.sent.map((s) => s.i)).toEqual(Array.from({ length: r.plan.count }, (_, i) => i));
    for (const s of r.sent) expect(s.sentAt).toBeGreaterThanOrEqual(s.at);
    expect(Math.max(...r.sent.map((s) => s.sentAt - s.at))).toBeLessThan(3);
    expect(worstDeviation(r.actual, r.schedule)).toBeLessThan(0.01);
    // A batch per wake-up, not a timer per order: at 5,000/s (a gap of 0.2 ms), one wake-up per 1 ms step.
    expect(r.wakeups).toBeLessThan(r.plan.count / 3);
  });

  it("after a 300 ms stall sends every overdue order at once (late, not dropped), then keeps the schedule", () => {
    const r = drive(3000, 4, [[1300, 300]]);
    expect(r.sent.map((s) => s.i)).toEqual(Array.from({ length: r.plan.count }, (_, i) => i));
    // The orders due in the stall went out when it ended, late by up to its length.
    const late = r.sent.filter((s) => s.sentAt - s.at > 5);
    expect(late.length).toBeGreaterThan(0.25 * 3000 * 0.3);
    expect(Math.max(...late.map((s) => s.sentAt - s.at))).toBeGreaterThan(290);
    // A stall inside second 1 that ends there too moves no order across a second's edge.
    expect(worstDeviation(r.actual, r.schedule)).toBeLessThan(0.01);
  });

  it("a stall across a second's edge moves the orders due before the edge into the next second", () => {
    const r = drive(3000, 4, [[1900, 200]]);
    // The orders due in the stall's 100 ms before the edge (300 at 3,000/s) are sent after it.
    const crossed = r.sent.filter((s) => s.at < 2000 && s.sentAt >= 2000).length;
    expect(crossed).toBeGreaterThanOrEqual(295);
    expect(crossed).toBeLessThanOrEqual(305);
    expect(r.sent).toHaveLength(r.plan.count);
    // Seconds 1 and 2 are off by those 10%; the others keep the schedule within 1%.
    expect((r.schedule[1] as number) - (r.actual[1] as number)).toBeGreaterThanOrEqual(crossed - 5);
    expect((r.actual[2] as number) - (r.schedule[2] as number)).toBeGreaterThanOrEqual(crossed - 5);
    expect(
      worstDeviation([r.actual[0], r.actual[3]] as number[], [r.schedule[0], r.schedule[3]] as number[]),
    ).toBeLessThan(0.01);
  });

  it("three shards on one start instant send the unsharded schedule, per second within 1%", () => {
    const r = drive(3000, 5, [], 3);
    expect(r.ended).toBe(3);
    expect(r.sent.map((s) => s.i).sort((a, b) => a - b)).toEqual(
      Array.from({ length: r.plan.count }, (_, i) => i),
    );
    expect(worstDeviation(r.actual, r.schedule)).toBeLessThan(0.01);
  });
});
