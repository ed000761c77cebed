import { describe, expect, it } from "vitest";
import { DeadlineQueue } from "../../../server/core/deadlines.ts";
import { VirtualEnvironment } from "../../../simulator/kernel/virtual-env.ts";

describe("deadline queue (provider-call timeouts)", () => {
  it("fires each live deadline exactly at its time, skips cancelled ones, with one timer per length", () => {
    const env = new VirtualEnvironment(1);
    const fired: string[] = [];
    const q = new DeadlineQueue<string>(env, (name) => fired.push(`${name}@${env.now()}`));
    q.add(800, "a");
    env.runFor(100);
    const b = q.add(800, "b");
    q.add(300, "c");
    env.runFor(50);
    q.add(800, "d");
    expect(env.pending).toBe(2);
    q.cancel(b);
    env.runAll();
    expect(fired).toEqual(["c@400", "a@800", "d@950"]);
    expect(env.pending).toBe(0);
  });

  it("hands each target to expire once, and a cancelled one never", () => {
    const env = new VirtualEnvironment(1);
    const expired: number[] = [];
    const q = new DeadlineQueue<{ id: number }>(env, (t) => expired.push(t.id));
    const entries = [1, 2, 3, 4].map((id) => q.add(100, { id }));
    q.cancel(entries[0]!);
    q.cancel(entries[2]!);
    env.runAll();
    expect(expired).toEqual([2, 4]);
    q.cancel(entries[1]!); // after expiry: no effect
    env.runAll();
    expect(expired).toEqual([2, 4]);
  });

  it("stop() cancels its timers", () => {
    const env = new VirtualEnvironment(1);
    let fired = 0;
    const q = new DeadlineQueue<string>(env, () => fired++);
    q.add(100, "x");
    q.stop();
    env.runAll();
    expect(fired).toBe(0);
    expect(env.pending).toBe(0);
  });
});
