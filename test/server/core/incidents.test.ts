// An outage of one provider end to end: isolation opens an incident, traffic is diverted, probes
// (orderId "probe:...", cardId "") bring the provider back, the incident closes with an outcome.
import { describe, expect, it } from "vitest";
import { PRESETS } from "../../../server/core/config.ts";
import { createDispatcher } from "../../../server/core/dispatcher.ts";
import type { CoreEvent, IncidentRecord } from "../../../server/core/types.ts";
import { VirtualEnvironment } from "../../../simulator/kernel/virtual-env.ts";
import { FakeCardStore, FakeProviders } from "../../support/core-fakes.ts";

describe("incidents and recovery of a provider", () => {
  it("records isolation, diversion, probes and recovery", () => {
    const env = new VirtualEnvironment(3);
    const store = new FakeCardStore(env, { latencyMs: 1 });
    const ids = ["p1", "p2", "p3", "p4"];
    const providers = new FakeProviders(env, ids, { kind: "ok", latencyMs: 20 });
    const d = createDispatcher({ env, config: PRESETS.adaptive, store, providers: { ids, port: providers } });
    const events: CoreEvent[] = [];
    d.onEvent((e) => events.push(e));
    providers.set("p1", { kind: "blackhole" });
    let i = 0;
    const traffic = (untilMs: number) => {
      for (; i * 20 < untilMs; i++) {
        env.runUntil(i * 20);
        d.submit({ orderId: `o${i}`, sku: "s", tier: "standard" });
      }
    };
    traffic(6000);
    expect(d.snapshot().providers.find((p) => p.providerId === "p1")!.state).toBe("ISOLATED");
    // The provider comes back while isolated; from now on nobody sends it orders, only probes.
    providers.set("p1", { kind: "ok", latencyMs: 20 });
    traffic(20_000);
    env.runFor(30_000);
    const incidents = events.filter((e): e is CoreEvent & { kind: "incident" } => e.kind === "incident");
    expect(incidents).toHaveLength(2);
    const opened: IncidentRecord = incidents[0]!.incident;
    const closed: IncidentRecord = incidents[1]!.incident;
    expect(opened).toMatchObject({ providerId: "p1", closedAt: null, outcome: null });
    expect(closed.id).toBe(opened.id);
    expect(closed.closedAt).toBeGreaterThan(closed.openedAt);
    expect(closed.outcome).toMatch(
      /^recovered after \d+ ms \(1 isolation, \d+ orders diverted, \d+ retried\)$/,
    );
    expect(closed.ordersDiverted).toBeGreaterThan(0);
    expect(closed.timeline.map((t) => t.what.split(":")[0])).toEqual(
      expect.arrayContaining(["HEALTHY -> ISOLATED", "ISOLATED -> PROBING", "PROBING -> HEALTHY"]),
    );
    const health = events.filter((e) => e.kind === "health").map((e) => (e.kind === "health" ? e.to : ""));
    expect(health).toEqual(["ISOLATED", "PROBING", "HEALTHY"]);
    const probes = providers.calls.filter((c) => c.orderId.startsWith("probe:"));
    expect(probes).toHaveLength(PRESETS.adaptive.health.probeCalls);
    expect(probes.every((c) => c.providerId === "p1" && c.cardId === "")).toBe(true);
    const snap = d.snapshot();
    expect(snap.counters.failed).toBe(0);
    expect(snap.counters.delivered).toBe(i);
  });

  it("legacy keeps sending a dead provider its share, so its orders wait out long timeouts", () => {
    const env = new VirtualEnvironment(3);
    const store = new FakeCardStore(env, { latencyMs: 1 });
    const ids = ["p1", "p2", "p3", "p4"];
    const providers = new FakeProviders(env, ids, { kind: "ok", latencyMs: 20 });
    const d = createDispatcher({ env, config: PRESETS.legacy, store, providers: { ids, port: providers } });
    providers.set("p1", { kind: "blackhole" });
    for (let i = 0; i < 400; i++) {
      env.runUntil(i * 20);
      d.submit({ orderId: `o${i}`, sku: "s", tier: "standard" });
    }
    env.runFor(60_000);
    expect(providers.callsTo("p1")).toBeGreaterThan(90);
    expect(d.snapshot().providers.every((p) => p.state === "HEALTHY")).toBe(true);
    expect(d.snapshot().counters.timeouts).toBe(providers.callsTo("p1"));
  });
});

type IncidentEvent = CoreEvent & { kind: "incident" };
const incidentsOf = (events: CoreEvent[], kind: string) =>
  events
    .filter((e): e is IncidentEvent => e.kind === "incident" && e.incident.kind === kind)
    .map((e) => e.incident);

describe("retry budget exhausted", () => {
  it("opens one incident per episode of refused retries and closes it when retries are allowed again", () => {
    const env = new VirtualEnvironment(3);
    const config = structuredClone(PRESETS.adaptive);
    config.health.enabled = false;
    config.retry = {
      ...config.retry,
      maxAttempts: 3,
      backoff: "fixed",
      baseDelayMs: 500,
      jitter: "none",
      // Room for one retry at a time, whatever the traffic.
      budget: { enabled: true, ratio: 0, minRetries: 1, windowMs: 10_000 },
    };
    const store = new FakeCardStore(env, { latencyMs: 1 });
    const providers = new FakeProviders(env, ["p1"], { kind: "error", latencyMs: 10, reason: "gateway 502" });
    const d = createDispatcher({ env, config, store, providers: { ids: ["p1"], port: providers } });
    const events: CoreEvent[] = [];
    d.onEvent((e) => events.push(e));
    const burst = (prefix: string) => {
      for (let i = 0; i < 20; i++) {
        env.runFor(50);
        d.submit({ orderId: `${prefix}${i}`, sku: "s", tier: "standard" });
      }
    };
    burst("a");
    env.runFor(10_000);
    const first = incidentsOf(events, "retry-budget");
    expect(d.snapshot().counters.budgetExhausted).toBeGreaterThan(10);
    expect(first).toHaveLength(2);
    expect(first[0]).toMatchObject({ providerId: "retry-budget", closedAt: null, outcome: null });
    expect(first[0]!.timeline[0]!.what).toMatch(
      /^retry refused to order a\d+: 1 retries active, budget allows 1$/,
    );
    expect(first[1]!.id).toBe(first[0]!.id);
    expect(first[1]!.outcome).toMatch(
      /^retries allowed again after \d+ ms \(\d+ orders failed for want of a retry\)$/,
    );
    const failures = first[1]!.timeline.filter((t) => t.what === "failure: provider p1: gateway 502").length;
    expect(failures).toBe(d.snapshot().counters.budgetExhausted);
    // A second storm is a second episode.
    burst("b");
    env.runFor(10_000);
    const all = incidentsOf(events, "retry-budget");
    expect(all).toHaveLength(4);
    expect(all[2]!.id).not.toBe(first[0]!.id);
    d.stop();
  });
});

describe("overflow flapping", () => {
  function flappingSetup() {
    const env = new VirtualEnvironment(3);
    const config = structuredClone(PRESETS.adaptive);
    config.lanes.vip.workers = 1;
    config.lanes.vip.reserve = 0;
    config.lanes.default.workers = 2;
    config.routing = { ...config.routing, minDwellMs: 100, sampleIntervalMs: 10, smoothing: 1 };
    const store = new FakeCardStore(env, { latencyMs: 1 });
    const providers = new FakeProviders(env, ["p1"], { kind: "ok", latencyMs: 200 });
    const backup = createDispatcher({
      env,
      config,
      store,
      providers: { ids: ["p1"], port: providers },
      cluster: "backup",
    });
    const primary = createDispatcher({
      env,
      config,
      store,
      providers: { ids: ["p1"], port: providers },
      overflow: { forward: (order, done) => backup.submit(order, (v) => v.finishedAt !== null && done(v)) },
    });
    const events: CoreEvent[] = [];
    primary.onEvent((e) => events.push(e));
    let n = 0;
    /** Bursts of 4 orders every `everyMs` for `forMs`: each saturates the 3 slots for 200 ms. */
    const bursts = (everyMs: number, forMs: number) => {
      for (let t = 0; t < forMs; t += everyMs) {
        for (let i = 0; i < 4; i++) primary.submit({ orderId: `o${n++}`, sku: "s", tier: "standard" });
        env.runFor(everyMs);
      }
    };
    const stop = () => {
      primary.stop();
      backup.stop();
    };
    return { env, primary, events, bursts, stop };
  }

  it("a route that switches more than 4 times within the window is one incident, closed once stable", () => {
    const { env, primary, events, bursts, stop } = flappingSetup();
    bursts(300, 6000);
    env.runFor(5000);
    const switches = events.filter((e) => e.kind === "route").length;
    expect(switches).toBeGreaterThan(20);
    const flapping = incidentsOf(events, "overflow-flapping");
    expect(flapping).toHaveLength(2);
    expect(flapping[0]).toMatchObject({ providerId: "overflow-route", closedAt: null });
    // The window is 12 x minDwellMs = 1200 ms.
    expect(flapping[0]!.timeline[0]!.what).toMatch(/^5 route switches within 1200 ms \(more than 4\)/);
    expect(flapping[1]!.outcome).toMatch(/^route stable for 1200 ms after \d+ more switches$/);
    expect(flapping[1]!.closedAt! - flapping[0]!.openedAt).toBeGreaterThan(5000);
    expect(primary.snapshot().counters.routeSwitches).toBe(switches);
    stop();
  });

  it("a surge that switches on and off once is not flapping", () => {
    const { env, events, bursts, stop } = flappingSetup();
    bursts(2000, 10_000);
    env.runFor(5000);
    expect(events.filter((e) => e.kind === "route").length).toBeGreaterThanOrEqual(8);
    expect(incidentsOf(events, "overflow-flapping")).toEqual([]);
    stop();
  });
});
