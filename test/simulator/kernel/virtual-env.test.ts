import { describe, expect, it } from "vitest";
import { EventHeap, type ScheduledEvent } from "../../../simulator/kernel/event-heap.ts";
import { VirtualEnvironment } from "../../../simulator/kernel/virtual-env.ts";

describe("EventHeap", () => {
  it("pops by time, then priority, then insertion order", () => {
    const heap = new EventHeap();
    const input: [number, number][] = [
      [5, 0],
      [1, 1],
      [1, 0],
      [3, 0],
      [1, 0],
      [5, -1],
    ];
    input.forEach(([time, priority], seq) => {
      heap.push({ time, priority, seq, id: seq, callback: null });
    });
    const out: number[] = [];
    for (let e = heap.pop(); e !== undefined; e = heap.pop()) out.push(e.seq);
    expect(out).toEqual([2, 4, 1, 3, 5, 0]);
  });

  it("sorts a large random batch like Array.sort", () => {
    const heap = new EventHeap();
    const events: ScheduledEvent[] = [];
    let x = 12345;
    for (let i = 0; i < 5000; i++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      const e = { time: x % 97, priority: x % 3, seq: i, id: i, callback: null };
      events.push(e);
      heap.push(e);
    }
    events.sort((a, b) => a.time - b.time || a.priority - b.priority || a.seq - b.seq);
    const out: number[] = [];
    for (let e = heap.pop(); e !== undefined; e = heap.pop()) out.push(e.seq);
    expect(out).toEqual(events.map((e) => e.seq));
  });
});

describe("VirtualEnvironment", () => {
  it("runs callbacks at their virtual times, ties in scheduling order", () => {
    const env = new VirtualEnvironment(1);
    const log: string[] = [];
    env.schedule(10, () => log.push(`a@${env.now()}`));
    env.schedule(5, () => {
      log.push(`b@${env.now()}`);
      env.schedule(5, () => log.push(`c@${env.now()}`));
    });
    env.runAll();
    expect(log).toEqual(["b@5", "a@10", "c@10"]);
  });

  it("runUntil does not run an event due later when a cancelled one is due first", () => {
    const env = new VirtualEnvironment(1);
    const log: number[] = [];
    const h = env.schedule(5, () => log.push(5));
    env.schedule(20, () => log.push(20));
    env.cancel(h);
    env.runUntil(10);
    expect(log).toEqual([]);
    expect(env.now()).toBe(10);
    expect(env.pending).toBe(1);
    env.runUntil(20);
    expect(log).toEqual([20]);
  });

  it("cancel is a no-op for events that ran or were cancelled", () => {
    const env = new VirtualEnvironment(1);
    const h = env.schedule(1, () => {});
    env.runAll();
    env.cancel(h);
    env.cancel(h);
    expect(env.pending).toBe(0);
  });

  it("gives the same named stream the same numbers for the same seed, and other numbers for another", () => {
    const a = new VirtualEnvironment(7).random("arrivals");
    const b = new VirtualEnvironment(7).random("arrivals");
    const c = new VirtualEnvironment(8).random("arrivals");
    const sa = [a.next(), a.next(), a.next()];
    expect([b.next(), b.next(), b.next()]).toEqual(sa);
    expect([c.next(), c.next(), c.next()]).not.toEqual(sa);
  });
});
