// Provider calls in one place: each kind of call settles once, with its timeout, and books exactly what
// provider-calls.ts says on the health board (outstanding calls, the window of outcomes) and incidents.
import { describe, expect, it } from "vitest";
import { PRESETS } from "../../../server/core/config.ts";
import type { Deadline } from "../../../server/core/deadlines.ts";
import { type CallOutcome, HealthBoard, type ProviderHealth } from "../../../server/core/health.ts";
import { IncidentLog } from "../../../server/core/incidents.ts";
import { type CallSlot, ProviderCalls, type ProviderPolicy } from "../../../server/core/provider-calls.ts";
import { VirtualEnvironment } from "../../../simulator/kernel/virtual-env.ts";
import { FakeProviders } from "../../support/core-fakes.ts";

interface Slot extends CallSlot<Slot> {
  settled: [CallOutcome, string][];
}

const newSlot = (): Slot => ({
  call: 0,
  provider: null,
  callStartedAt: 0,
  callPolicy: null,
  deadline: null as Deadline<Slot> | null,
  settled: [],
});

const policy: ProviderPolicy = { timeoutMs: 100, slowCallMs: 40, selection: "round-robin" };

function setup() {
  const env = new VirtualEnvironment(1);
  const ids = ["p1"];
  const port = new FakeProviders(env, ids, { kind: "ok", latencyMs: 10 });
  // Health judging off: the window still records every outcome, and nothing transitions.
  const board = new HealthBoard(
    ids,
    { ...PRESETS.adaptive.health, enabled: false },
    env,
    () => {},
    () => {},
  );
  const incidents = new IncidentLog(() => {});
  const calls = new ProviderCalls<Slot>(env, port, board, incidents, () => policy, {
    callSettled: (slot, outcome, reason) => slot.settled.push([outcome, reason]),
  });
  const p1 = board.get("p1") as ProviderHealth;
  const request = (orderId: string) => ({ providerId: "p1", orderId, sku: "s", cardId: "c", attempt: 1 });
  return { env, port, calls, p1, request };
}

describe("provider calls", () => {
  it("settles an order's call once as ok, slow, error or timeout, and books each on the board", () => {
    const { env, port, calls, p1, request } = setup();
    const outcomes: CallOutcome[] = [];
    for (const [behaviour, expected] of [
      [{ kind: "ok", latencyMs: 10 }, "ok"],
      [{ kind: "ok", latencyMs: 50 }, "slow"],
      [{ kind: "error", latencyMs: 5, reason: "card rejected" }, "error"],
      [{ kind: "ok", latencyMs: 500 }, "timeout"], // answers after the timeout: ignored
    ] as const) {
      port.set("p1", behaviour);
      const slot = newSlot();
      calls.forOrder(slot, p1, request("o"), policy);
      expect(p1.outstanding).toBe(1);
      env.runFor(1000);
      expect(slot.settled.length).toBe(1);
      expect(slot.deadline).toBeNull();
      outcomes.push(slot.settled[0]![0]);
      if (expected === "error") expect(slot.settled[0]![1]).toBe("card rejected");
      expect(p1.outstanding).toBe(0);
    }
    expect(outcomes).toEqual(["ok", "slow", "error", "timeout"]);
    expect({ calls: p1.calls, slows: p1.slows, errors: p1.errors, timeouts: p1.timeouts }).toEqual({
      calls: 4,
      slows: 1,
      errors: 1,
      timeouts: 1,
    });
  });

  it("books a cache pre-issue on the board, and leaves a probe's outcome to the board", () => {
    const { env, port, calls, p1 } = setup();
    const issued: boolean[] = [];
    calls.forCache(p1, "cache:1", "s", "c1", (ok) => issued.push(ok));
    expect(p1.outstanding).toBe(1);
    env.runFor(1000);
    port.set("p1", { kind: "blackhole" });
    calls.forCache(p1, "cache:2", "s", "c2", (ok) => issued.push(ok));
    env.runFor(1000);
    expect(issued).toEqual([true, false]);
    expect(p1.outstanding).toBe(0);
    expect({ calls: p1.calls, timeouts: p1.timeouts }).toEqual({ calls: 2, timeouts: 1 });

    const probes: CallOutcome[] = [];
    calls.probe("p1", "probe:p1:1", (outcome) => probes.push(outcome));
    port.set("p1", { kind: "ok", latencyMs: 1 });
    calls.probe("p1", "probe:p1:2", (outcome) => probes.push(outcome));
    env.runFor(1000);
    expect(probes).toEqual(["ok", "timeout"]);
    expect({ calls: p1.calls, outstanding: p1.outstanding }).toEqual({ calls: 2, outstanding: 0 });
    expect(port.calls.at(-1)).toMatchObject({ orderId: "probe:p1:2", sku: "", cardId: "" });
  });

  it("after stop(), an order's call neither times out nor settles", () => {
    const { env, port, calls, p1, request } = setup();
    port.set("p1", { kind: "ok", latencyMs: 50 });
    const answered = newSlot();
    const silent = newSlot();
    calls.forOrder(answered, p1, request("a"), policy);
    port.set("p1", { kind: "blackhole" });
    calls.forOrder(silent, p1, request("b"), policy);
    calls.stop();
    env.runFor(1000);
    expect(answered.settled).toEqual([]);
    expect(silent.settled).toEqual([]);
  });
});
