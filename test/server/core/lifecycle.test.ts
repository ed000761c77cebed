// The order lifecycle's table is exactly the paths orders take: every transition the dispatcher makes
// (watched at lifecycle.ts's one transition function) in the paths below and in every shipped scenario
// simulated with both presets is in the table (anything else would have thrown), and every entry of
// the table is taken by one of the paths here (no dead entry).
import { describe, expect, it, vi } from "vitest";
import { BUILTIN_SCENARIOS, loadScenario } from "../../../scenarios/define.ts";
import { type DispatchConfig, mergeConfig, PRESETS, presetConfig } from "../../../server/core/config.ts";
import { createDispatcher } from "../../../server/core/dispatcher.ts";
import {
  acceptedView,
  IllegalOrderTransitionError,
  isLegalOrderTransition,
  ORDER_TRANSITIONS,
  transition,
} from "../../../server/core/lifecycle.ts";
import type { OverflowPort, RiskPort } from "../../../server/core/ports.ts";
import type { OrderState, OrderView } from "../../../server/core/types.ts";
import { VirtualEnvironment } from "../../../simulator/kernel/virtual-env.ts";
import { simulate } from "../../../simulator/runner.ts";
import { FakeCardStore, FakeProviders } from "../../support/core-fakes.ts";

const watch = vi.hoisted(() => ({ seen: new Set<string>() }));

vi.mock("../../../server/core/lifecycle.ts", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../../server/core/lifecycle.ts")>();
  return {
    ...real,
    transition: (view: OrderView, to: OrderState, stageAt: number, now: number) => {
      watch.seen.add(`${view.state} -> ${to}`);
      return real.transition(view, to, stageAt, now);
    },
  };
});

const STATES = Object.keys(ORDER_TRANSITIONS) as OrderState[];
const TABLE = new Set(STATES.flatMap((from) => ORDER_TRANSITIONS[from].map((to) => `${from} -> ${to}`)));

function view(state: OrderState): OrderView {
  return { ...acceptedView({ orderId: "o1", sku: "s", tier: "standard" }, 0), state };
}

describe("the transition function", () => {
  it("allows exactly the table's changes (transition's own switch agrees with the table)", () => {
    for (const from of STATES) {
      for (const to of STATES) {
        const legal = TABLE.has(`${from} -> ${to}`);
        expect(isLegalOrderTransition(from, to)).toBe(legal);
        const v = view(from);
        if (legal) expect(() => transition(v, to, 0, 5)).not.toThrow();
        else expect(() => transition(v, to, 0, 5)).toThrow(IllegalOrderTransitionError);
      }
    }
  });

  it("never changes a terminal order, and names the order and the change when asked to", () => {
    for (const terminal of ["DELIVERED", "FAILED", "REJECTED"] as const) {
      const v = view("QUEUED");
      transition(v, terminal, 0, 40);
      const before = JSON.stringify(v);
      for (const to of STATES) {
        expect(() => transition(v, to, 40, 90)).toThrow(
          `illegal order transition ${terminal} -> ${to} (order o1)`,
        );
      }
      expect(JSON.stringify(v)).toBe(before);
    }
  });

  it("adds the time since the stage began to the stage it leaves, and stamps a terminal order", () => {
    const v = view("ACCEPTED");
    let at = transition(v, "QUEUED", 0, 0);
    at = transition(v, "ALLOCATING", at, 30);
    at = transition(v, "ISSUING", at, 35);
    at = transition(v, "RETRYING", at, 135);
    at = transition(v, "QUEUED", at, 335);
    at = transition(v, "ALLOCATING", at, 340);
    at = transition(v, "DELIVERED", at, 342);
    expect(at).toBe(342);
    expect(v.timings).toEqual({
      queuedMs: 35,
      allocatingMs: 7,
      issuingMs: 100,
      retryingMs: 200,
      totalMs: 342,
      riskMs: 0,
      notifyMs: 0,
    });
    expect(v.finishedAt).toBe(342);
  });
});

/** A primary of 2 worker slots and, optionally, a backup dispatcher behind an OverflowPort (as the simulator wires them). */
function cluster(options: { backup?: object; backupProviders?: "ok" | "mixed"; risk?: RiskPort } = {}) {
  const risk = options.risk === undefined ? undefined : { id: "risk", port: options.risk };
  const env = new VirtualEnvironment(7);
  const store = new FakeCardStore(env, { latencyMs: 1 });
  const ids = ["p1", "p2"];
  const providers = new FakeProviders(env, ids, { kind: "ok", latencyMs: 50 });
  let overflow: OverflowPort | undefined;
  if (options.backup !== undefined) {
    const backupProviders = new FakeProviders(env, ids, { kind: "ok", latencyMs: 50 });
    if (options.backupProviders === "mixed") backupProviders.set("p2", { kind: "error", latencyMs: 50 });
    const backup = createDispatcher({
      env,
      config: mergeConfig(PRESETS.adaptive, options.backup) as DispatchConfig,
      store,
      providers: { ids, port: backupProviders },
      cluster: "backup",
      risk,
    });
    overflow = {
      forward: (order, done) =>
        backup.submit(order, (v) => {
          if (v.finishedAt !== null) done(v);
        }),
    };
  }
  const config = mergeConfig(PRESETS.adaptive, {
    lanes: { vip: { workers: 1, reserve: 0 }, default: { workers: 1 } },
    routing: { minDwellMs: 0 },
  }) as DispatchConfig;
  const d = createDispatcher({ env, config, store, providers: { ids, port: providers }, overflow, risk });
  return { env, store, providers, d };
}

describe("the table covers every path orders take", () => {
  it("in the dispatcher's paths, and in every shipped scenario simulated with both presets", async () => {
    watch.seen.clear();

    // Delivered, invalid, out of stock; provider errors retried and failed after the last attempt.
    {
      const { env, providers, d } = cluster();
      d.submit({ orderId: "ok", sku: "s", tier: "standard" });
      d.submit({ orderId: "", sku: "s", tier: "standard" });
      env.runFor(1000);
      providers.set("p1", { kind: "error", latencyMs: 5 });
      providers.set("p2", { kind: "error", latencyMs: 5 });
      d.submit({ orderId: "errors", sku: "s", tier: "standard" });
      env.runFor(10_000);
    }
    // A store that refuses claims: the attempt fails in ALLOCATING, retried, then FAILED.
    {
      const { env, store, d } = cluster();
      store.failClaims = "disk full";
      d.submit({ orderId: "claims", sku: "s", tier: "standard" });
      env.runFor(10_000);
    }
    // Out of stock (ALLOCATING -> FAILED at once); a recovered order (ACCEPTED -> RETRYING), and one
    // whose card was delivered before the crash (ALLOCATING -> DELIVERED).
    {
      const env = new VirtualEnvironment(3);
      const store = new FakeCardStore(env, { latencyMs: 1, stockPerSku: 1 });
      const ids = ["p1"];
      const port = new FakeProviders(env, ids, { kind: "ok", latencyMs: 5 });
      const first = createDispatcher({ env, config: PRESETS.adaptive, store, providers: { ids, port } });
      first.submit({ orderId: "a", sku: "s", tier: "standard" });
      env.runFor(1000);
      first.submit({ orderId: "b", sku: "s", tier: "standard" });
      env.runFor(1000);
      const after = createDispatcher({ env, config: PRESETS.adaptive, store, providers: { ids, port } });
      const views: OrderView[] = [];
      after.recover({ orderId: "a", sku: "s", tier: "standard", attempts: 1 }, (v) => views.push(v));
      env.runFor(10_000);
      expect(views.map((v) => v.state)).toEqual(["RETRYING", "QUEUED", "ALLOCATING", "DELIVERED"]);
    }
    // Overflow: forwarded orders take the backup's terminal state from QUEUED (delivered, failed after
    // one attempt on the failing provider, rejected by the backup's full queue).
    {
      const { env, d } = cluster({
        backup: {
          lanes: {
            vip: { workers: 1, queueCapacity: 0, reserve: 0 },
            default: { workers: 2, queueCapacity: 2 },
          },
          provider: { selection: "round-robin" },
          retry: { maxAttempts: 1 },
        },
        backupProviders: "mixed",
      });
      const finals = new Map<string, OrderState>();
      for (let i = 0; i < 400; i++) {
        env.runUntil(i * 5);
        d.submit({ orderId: `f${i}`, sku: "s", tier: "standard" }, (v) => {
          if (v.finishedAt !== null && v.lane === "overflow") finals.set(v.orderId, v.state);
        });
      }
      env.runFor(60_000);
      expect(new Set(finals.values())).toEqual(new Set(["DELIVERED", "FAILED", "REJECTED"]));
    }

    // Risk verdicts: deny and review end orders in ALLOCATING on the primary, and forwarded orders take
    // the backup's DENIED and REVIEW from QUEUED.
    {
      let clock: VirtualEnvironment | null = null;
      const risk: RiskPort = {
        check: (request, done) =>
          clock!.schedule(50, () =>
            done(
              Number(request.orderId.slice(1)) % 2 === 0
                ? { kind: "deny", reason: "test" }
                : { kind: "review", reason: "test" },
            ),
          ),
      };
      const { env, d } = cluster({ backup: {}, risk });
      clock = env;
      const finals = new Map<string, string>();
      for (let i = 0; i < 400; i++) {
        env.runUntil(i * 5);
        d.submit({ orderId: `r${i}`, sku: "s", tier: "standard" }, (v) => {
          if (v.finishedAt !== null) finals.set(v.orderId, `${v.lane} ${v.state}`);
        });
      }
      env.runFor(60_000);
      expect(new Set(finals.values())).toEqual(
        new Set(["default DENIED", "default REVIEW", "overflow DENIED", "overflow REVIEW"]),
      );
    }

    expect([...watch.seen].filter((t) => !TABLE.has(t))).toEqual([]);
    expect([...TABLE].filter((t) => !watch.seen.has(t))).toEqual([]);

    // The shipped scenarios, both presets: every change they make is in the table (none threw).
    watch.seen.clear();
    const arms = [
      { name: "legacy", role: "baseline" as const, config: presetConfig("legacy")! },
      { name: "adaptive", role: "candidate" as const, config: presetConfig("adaptive")! },
    ];
    for (const name of BUILTIN_SCENARIOS) {
      const scenario = await loadScenario(name);
      const results = simulate(scenario, { arms, replications: 1 });
      expect(results.map((r) => r.counters.delivered > 0)).toEqual([true, true]);
    }
    expect(watch.seen.size).toBeGreaterThan(5);
    expect([...watch.seen].filter((t) => !TABLE.has(t))).toEqual([]);
    // promo-replay (200,294 orders per preset) made the shipped scenarios about half as long again.
  }, 240_000);
});
