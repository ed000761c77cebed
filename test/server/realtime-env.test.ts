// The real-time Environment: the same contract as the virtual clock, on real timers.
import { describe, expect, it } from "vitest";
import { RealtimeEnvironment } from "../../server/realtime-env.ts";
import { VirtualEnvironment } from "../../simulator/kernel/virtual-env.ts";

describe("RealtimeEnvironment", () => {
  it("runs callbacks no sooner than their delay, in time order; cancelled ones never run", async () => {
    const env = new RealtimeEnvironment();
    const ran: { name: string; at: number }[] = [];
    const start = env.now();
    await new Promise<void>((resolve) => {
      env.schedule(30, () => {
        ran.push({ name: "late", at: env.now() });
        resolve();
      });
      const cancelled = env.schedule(10, () => ran.push({ name: "cancelled", at: env.now() }));
      env.schedule(5, () => ran.push({ name: "early", at: env.now() }));
      env.schedule(0, () => ran.push({ name: "now", at: env.now() }));
      env.cancel(cancelled);
      env.cancel(cancelled);
    });
    expect(ran.map((r) => r.name)).toEqual(["now", "early", "late"]);
    expect(ran[1]!.at - start).toBeGreaterThanOrEqual(4);
    expect(ran[2]!.at - start).toBeGreaterThanOrEqual(29);
  });

  it("cancels a zero-delay callback too", async () => {
    const env = new RealtimeEnvironment();
    let ran = false;
    env.cancel(env.schedule(0, () => (ran = true)));
    await new Promise((r) => setTimeout(r, 5));
    expect(ran).toBe(false);
  });

  it("gives the same named random streams as the virtual clock for the same seed", () => {
    const real = new RealtimeEnvironment(42);
    const virtual = new VirtualEnvironment(42);
    const a = Array.from({ length: 5 }, () => real.random("retry-jitter").next());
    const b = Array.from({ length: 5 }, () => virtual.random("retry-jitter").next());
    expect(a).toEqual(b);
    expect(real.random("other").next()).not.toBe(a[0]);
  });

  it("converts env times to Unix milliseconds", () => {
    const env = new RealtimeEnvironment();
    const unix = env.toUnixMs(env.now());
    expect(Math.abs(unix - Date.now())).toBeLessThan(1000);
  });
});
