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
