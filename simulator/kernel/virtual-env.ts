// The virtual clock: an Environment whose time jumps from event to event. It is also the manual
// clock of the core's unit tests (advance it with runUntil / runFor / step).
import type { Environment, TimerHandle } from "../../server/core/env.ts";
import { RandomStreams, type Xoshiro128 } from "../../server/core/random.ts";
import { EventHeap, type ScheduledEvent } from "./event-heap.ts";

export class VirtualEnvironment implements Environment {
  private readonly heap = new EventHeap();
  private readonly streams: RandomStreams;
  private clock = 0;
  private seq = 0;
  private live = 0;
  /** Events executed so far (for the events/s benchmark). */
  executed = 0;

  constructor(seed = 1, startAt = 0) {
    this.streams = new RandomStreams(seed);
    this.clock = startAt;
  }

  now(): number {
    return this.clock;
  }

  /** Pending (not cancelled) events. */
  get pending(): number {
    return this.live;
  }

  schedule(delayMs: number, callback: () => void, priority = 0): TimerHandle {
    const delay = delayMs > 0 && Number.isFinite(delayMs) ? delayMs : 0;
    const id = ++this.seq;
    const event: ScheduledEvent = { time: this.clock + delay, priority, seq: id, id, callback };
    this.heap.push(event);
    this.live++;
    return event;
  }

  cancel(handle: TimerHandle): void {
    const event = handle as ScheduledEvent;
    if (event.callback !== null) {
      event.callback = null;
      this.live--;
    }
  }

  random(stream: string): Xoshiro128 {
    return this.streams.get(stream);
  }

  /** Runs the next event; false when none is left. */
  step(): boolean {
    for (;;) {
      const event = this.heap.pop();
      if (event === undefined) return false;
      if (event.callback === null) continue;
      this.fire(event);
      return true;
    }
  }

  private fire(event: ScheduledEvent): void {
    const cb = event.callback!;
    event.callback = null;
    this.live--;
    this.clock = event.time;
    this.executed++;
    cb();
  }

  /** Runs every event due at or before `time`, then sets the clock to `time`. */
  runUntil(time: number): void {
    const heap = this.heap;
    for (;;) {
      // Cancelled events are skipped here, not in step(): step() would run the next LIVE event even
      // when it is due after `time`.
      const next = heap.peek();
      if (next === undefined || next.time > time) break;
      heap.pop();
      if (next.callback !== null) this.fire(next);
    }
    if (time > this.clock) this.clock = time;
  }

  runFor(durationMs: number): void {
    this.runUntil(this.clock + durationMs);
  }

  /** Runs until no event is left (or `maxEvents` ran, a guard against self-rescheduling loops). */
  runAll(maxEvents = Number.POSITIVE_INFINITY): void {
    let n = 0;
    while (n++ < maxEvents && this.step()) {}
  }
}
