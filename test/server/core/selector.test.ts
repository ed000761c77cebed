// Provider choice follows the health board as it changes: the selector keeps the weights between
// health changes, so these check that a change or a slow start is seen by the very next choice.
import { describe, expect, it } from "vitest";
import { PRESETS } from "../../../server/core/config.ts";
import { type CallOutcome, HealthBoard } from "../../../server/core/health.ts";
import { ProviderSelector } from "../../../server/core/selector.ts";
import { VirtualEnvironment } from "../../../simulator/kernel/virtual-env.ts";

const config = PRESETS.adaptive.health;

function setup(probeOutcome: CallOutcome = "ok") {
  const env = new VirtualEnvironment(7);
  const b = new HealthBoard(
    ["a", "b", "c", "d"],
    config,
    env,
    (_id, done) => env.schedule(10, () => done(probeOutcome)),
    () => {},
  );
  const selector = new ProviderSelector(b, env.random("provider-choice"));
  /** Picks at one instant (no call stays outstanding): how often each provider was chosen. */
  const share = (n: number) => {
    const counts = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const p = selector.choose("health-weighted", env.now())!;
      counts.set(p.id, (counts.get(p.id) ?? 0) + 1);
    }
    return (id: string) => (counts.get(id) ?? 0) / n;
  };
  return { env, b, selector, share };
}

describe("health-weighted provider choice", () => {
  it("stops choosing a provider from the choice right after it is isolated", () => {
    const { b, share } = setup();
    expect(share(4000)("a")).toBeGreaterThan(0.15); // weights now computed with "a" healthy
    for (let i = 0; i < 10; i++) b.record("a", "timeout");
    expect(b.get("a")!.state).toBe("ISOLATED");
    expect(share(4000)("a")).toBe(0);
  });

  it("gives a sub-healthy provider a reduced share, and its full share back when it recovers", () => {
    const { b, share } = setup();
    // 3 errors in 10 calls: failure rate 30% >= 20% (sub-healthy), < 50% (isolation).
    for (let i = 0; i < 7; i++) b.record("a", "ok");
    for (let i = 0; i < 3; i++) b.record("a", "error");
    expect(b.get("a")!.state).toBe("SUB_HEALTHY");
    const reduced = share(20000)("a");
    for (let i = 0; i < 50; i++) b.record("a", "ok");
    expect(b.get("a")!.state).toBe("HEALTHY");
    const full = share(20000)("a");
    expect(reduced).toBeLessThan(full / 2);
    expect(full).toBeGreaterThan(0.2);
  });

  it("ramps a readmitted provider's share up over the slow start, recomputing as time passes", () => {
    const { env, b, share } = setup();
    for (let i = 0; i < 10; i++) b.record("a", "timeout");
    env.runFor(config.isolationBaseMs + 10 * config.probeCalls + config.probeIntervalMs * config.probeCalls);
    expect(b.get("a")!.state).toBe("HEALTHY");
    const early = share(20000)("a");
    env.runFor(config.slowStartMs / 2);
    const middle = share(20000)("a");
    env.runFor(config.slowStartMs);
    const late = share(20000)("a");
    expect(early).toBeLessThan(middle);
    expect(middle).toBeLessThan(late);
    expect(late).toBeGreaterThan(0.2);
  });
});
