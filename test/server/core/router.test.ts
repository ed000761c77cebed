import { describe, expect, it } from "vitest";
import { PRESETS } from "../../../server/core/config.ts";
import { OverflowRouter } from "../../../server/core/router.ts";

/** A load that oscillates around the threshold: 0.9 for 300 ms, then 0.7 for 300 ms, repeatedly. */
function oscillating(t: number): number {
  return Math.floor(t / 300) % 2 === 0 ? 0.9 : 0.7;
}

function run(router: OverflowRouter, durationMs: number, load: (t: number) => number, step = 100): number[] {
  const switches: number[] = [];
  for (let t = step; t <= durationMs; t += step) if (router.sample(load(t), t, true)) switches.push(t);
  return switches;
}

describe("overflow routing", () => {
  it("switches on at the high watermark and off only below the low one", () => {
    const r = new OverflowRouter({ ...PRESETS.adaptive.routing, smoothing: 1, minDwellMs: 0 });
    expect(r.sample(0.79, 0, true)).toBe(false);
    expect(r.sample(0.8, 100, true)).toBe(true);
    expect(r.active).toBe(true);
    expect(r.sample(0.65, 200, true)).toBe(false);
    expect(r.active).toBe(true);
    expect(r.sample(0.59, 300, true)).toBe(true);
    expect(r.active).toBe(false);
    expect(r.switches).toBe(2);
  });

  it("damps flapping: hysteresis, smoothing and dwell time make far fewer switches than a bare threshold", () => {
    const bare = new OverflowRouter({
      ...PRESETS.adaptive.routing,
      lowWatermark: 0.8,
      smoothing: 1,
      minDwellMs: 0,
    });
    const damped = new OverflowRouter(PRESETS.adaptive.routing);
    const bareSwitches = run(bare, 60_000, oscillating);
    const dampedSwitches = run(damped, 60_000, oscillating);
    expect(bareSwitches.length).toBe(201);
    // The EWMA of a 0.7/0.9 square wave stays in [0.6, 0.9]: overflow goes on once and stays on.
    expect(dampedSwitches.length).toBe(1);
  });

  it("keeps at least minDwellMs between two switches", () => {
    const r = new OverflowRouter({ ...PRESETS.adaptive.routing, smoothing: 1, minDwellMs: 5000 });
    const switches = run(r, 60_000, (t) => (Math.floor(t / 1000) % 2 === 0 ? 0.95 : 0.1));
    expect(switches.length).toBeGreaterThan(2);
    for (let i = 1; i < switches.length; i++)
      expect(switches[i]! - switches[i - 1]!).toBeGreaterThanOrEqual(5000);
  });

  it("never overflows when not allowed, and switches off at once when overflow is withdrawn", () => {
    const r = new OverflowRouter({ ...PRESETS.adaptive.routing, smoothing: 1 });
    expect(r.sample(1, 0, false)).toBe(false);
    expect(r.sample(1, 10_000, true)).toBe(true);
    expect(r.sample(1, 10_100, false)).toBe(true);
    expect(r.active).toBe(false);
  });
});
