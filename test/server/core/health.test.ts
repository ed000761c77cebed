// The provider health state machine, driven with a manual clock.
import { describe, expect, it } from "vitest";
import { PRESETS } from "../../../server/core/config.ts";
import {
  type CallOutcome,
  HealthBoard,
  type HealthEvent,
  IllegalTransitionError,
  isLegalTransition,
  LEGAL_TRANSITIONS,
  ProviderHealth,
  transition,
} from "../../../server/core/health.ts";
import type { HealthState } from "../../../server/core/types.ts";
import { VirtualEnvironment } from "../../../simulator/kernel/virtual-env.ts";

const STATES: HealthState[] = ["HEALTHY", "SUB_HEALTHY", "ISOLATED", "PROBING"];
const config = PRESETS.adaptive.health;

function board(
  ids: string[],
  probeOutcome: () => CallOutcome = () => "ok",
  overrides: Partial<typeof config> = {},
) {
  const env = new VirtualEnvironment(1);
  const events: HealthEvent[] = [];
  let probes = 0;
  const b = new HealthBoard(
    ids,
    { ...config, ...overrides },
    env,
    (_id, done) => {
      probes++;
      const outcome = probeOutcome();
      env.schedule(10, () => done(outcome));
    },
    (e) => events.push(e),
  );
  const feed = (id: string, outcome: CallOutcome, n: number) => {
    for (let i = 0; i < n; i++) b.record(id, outcome);
  };
  return { env, b, events, feed, probes: () => probes };
}

describe("health transitions", () => {
  it("allows exactly the table's transitions through the one transition function", () => {
    const legal: string[] = [];
    for (const from of STATES) {
      for (const to of STATES) {
        const p = new ProviderHealth("p", 10);
        p.state = from;
        if (isLegalTransition(from, to)) {
          const e = transition(p, to, "test", 5);
          expect(e).toEqual({ providerId: "p", from, to, reason: "test", at: 5 });
          expect(p.state).toBe(to);
          legal.push(`${from}->${to}`);
        } else {
          expect(() => transition(p, to, "test", 5)).toThrow(IllegalTransitionError);
          expect(p.state).toBe(from);
        }
      }
    }
    expect(legal.sort()).toEqual(
      [
        "HEALTHY->SUB_HEALTHY",
        "HEALTHY->ISOLATED",
        "SUB_HEALTHY->HEALTHY",
        "SUB_HEALTHY->ISOLATED",
        "ISOLATED->PROBING",
        "PROBING->HEALTHY",
        "PROBING->ISOLATED",
      ].sort(),
    );
    expect(Object.keys(LEGAL_TRANSITIONS).sort()).toEqual([...STATES].sort());
  });

  it("walks HEALTHY -> SUB_HEALTHY -> HEALTHY on slow calls, with an event per change", () => {
    const { b, events, feed } = board(["a", "b"]);
    feed("a", "ok", 20);
    expect(events).toEqual([]);
    feed("a", "slow", 30); // 30 of 50 slow: 60% >= 50%
    expect(b.get("a")!.state).toBe("SUB_HEALTHY");
    expect(b.weight(b.get("a")!, 0)).toBe(config.subHealthyWeight);
    feed("a", "ok", 50); // window now all ok
    expect(b.get("a")!.state).toBe("HEALTHY");
    expect(events.map((e) => `${e.from}->${e.to}`)).toEqual(["HEALTHY->SUB_HEALTHY", "SUB_HEALTHY->HEALTHY"]);
  });

  it("judges nothing below the minimum number of calls", () => {
    const { b, feed } = board(["a", "b"]);
    feed("a", "timeout", config.minCalls - 1);
    expect(b.get("a")!.state).toBe("HEALTHY");
    feed("a", "timeout", 1);
    expect(b.get("a")!.state).toBe("ISOLATED");
  });

  it("never isolates more than the allowed share, and never all", () => {
    const four = board(["a", "b", "c", "d"]);
    for (const id of ["a", "b", "c", "d"]) four.feed(id, "error", 20);
    const states = four.b.providers.map((p) => p.state);
    expect(states.filter((s) => s === "ISOLATED")).toHaveLength(2);
    expect(states.filter((s) => s === "SUB_HEALTHY")).toHaveLength(2);

    const one = board(["solo"], () => "ok", { maxIsolatedShare: 1 });
    one.feed("solo", "error", 50);
    expect(one.b.get("solo")!.state).toBe("SUB_HEALTHY");
  });

  it("probes an idle isolated provider back to HEALTHY, then ramps its weight up (slow start)", () => {
    const { env, b, events, feed, probes } = board(["a", "b"]);
    feed("a", "timeout", 10);
    expect(b.get("a")!.state).toBe("ISOLATED");
    expect(b.weight(b.get("a")!, env.now())).toBe(0);
    env.runFor(config.isolationBaseMs - 1);
    expect(b.get("a")!.state).toBe("ISOLATED");
    env.runFor(1);
    expect(b.get("a")!.state).toBe("PROBING");
    env.runFor(10_000);
    expect(probes()).toBe(config.probeCalls);
    expect(b.get("a")!.state).toBe("HEALTHY");
    expect(events.map((e) => e.to)).toEqual(["ISOLATED", "PROBING", "HEALTHY"]);
    const readmitted = events[2]!.at;
    expect(b.weight(b.get("a")!, readmitted)).toBeCloseTo(0.1, 9);
    expect(b.weight(b.get("a")!, readmitted + config.slowStartMs / 2)).toBeCloseTo(0.55, 9);
    expect(b.weight(b.get("a")!, readmitted + config.slowStartMs)).toBe(1);
    expect(env.pending).toBe(0);
  });

  it("re-isolates on a failed probe, each time longer, up to the cap", () => {
    const { env, b, events, feed } = board(["a", "b"], () => "timeout");
    feed("a", "error", 10);
    env.runFor(10 * 60_000);
    const isolations = events.filter((e) => e.to === "ISOLATED");
    const gaps = events.filter((e) => e.to === "PROBING").map((e, i) => e.at - isolations[i]!.at);
    expect(gaps.slice(0, 6)).toEqual([5000, 10000, 20000, 40000, 60000, 60000]);
    expect(b.get("a")!.isolations).toBe(isolations.length);
    b.stop();
    env.runAll();
    expect(env.pending).toBe(0);
  });

  it("keeps counting rates but never changes state when health tracking is disabled (legacy)", () => {
    const { b, feed } = board(["a", "b"], () => "ok", { enabled: false });
    feed("a", "timeout", 50);
    expect(b.get("a")!.state).toBe("HEALTHY");
    expect(b.snapshot(0)[0]).toMatchObject({ providerId: "a", windowCalls: 50, timeoutRate: 1, weight: 1 });
  });
});
