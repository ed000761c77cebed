import { describe, expect, it } from "vitest";
import { DeadlineQueue } from "../../../server/core/deadlines.ts";
import { VirtualEnvironment } from "../../../simulator/kernel/virtual-env.ts";

describe("deadline queue (provider-call timeouts)", () => {
  it("fires each live deadline exactly at its time, skips cancelled ones, with one timer per length", () => {
    const env = new VirtualEnvironment(1);
    const q = new DeadlineQueue(env);
    const fired: string[] = [];
    const at = (name: string) => () => fired.push(`${name}@${env.now()}`);
    q.add(800, at("a"));
    env.runFor(100);
    const b = q.add(800, at("b"));
    q.add(300, at("c"));
    env.runFor(50);
    q.add(800, at("d"));
    expect(env.pending).toBe(2);
    q.cancel(b);
    env.runAll();
    expect(fired).toEqual(["c@400", "a@800", "d@950"]);
    expect(env.pending).toBe(0);
  });

  it("stop() cancels its timers", () => {
    const env = new VirtualEnvironment(1);
    const q = new DeadlineQueue(env);
    let fired = 0;
    q.add(100, () => fired++);
    q.stop();
    env.runAll();
    expect(fired).toBe(0);
    expect(env.pending).toBe(0);
  });
});
