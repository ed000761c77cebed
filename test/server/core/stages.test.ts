// The risk-control and delivery-notification stages in the core, on the virtual clock with in-memory
// ports: verdicts and what they do to the order's card, the unavailable-policies, the risk service on
// the health board, and the two notification modes.
import { describe, expect, it } from "vitest";
import {
  type CoreEvent,
  createDispatcher,
  type DispatchConfig,
  mergeConfig,
  type OrderView,
  PRESETS,
  validateConfig,
} from "../../../server/core/index.ts";
import { VirtualEnvironment } from "../../../simulator/kernel/virtual-env.ts";
import {
  FakeCardStore,
  FakeNotify,
  FakeProviders,
  FakeRisk,
  type RiskBehaviour,
} from "../../support/core-fakes.ts";

function setup(
  base: DispatchConfig,
  override: object = {},
  risk: RiskBehaviour | null = { kind: "allow", latencyMs: 5 },
  notify: FakeNotify["behaviour"] | null = null,
) {
  const env = new VirtualEnvironment(11);
  const store = new FakeCardStore(env, { latencyMs: 1 });
  const ids = ["p1", "p2"];
  const providers = new FakeProviders(env, ids, { kind: "ok", latencyMs: 20 });
  const riskPort = new FakeRisk(env, risk ?? undefined);
  const notifyPort = new FakeNotify(env, notify ?? undefined);
  const config = mergeConfig(base, override) as DispatchConfig;
  const d = createDispatcher({
    env,
    config,
    store,
    providers: { ids, port: providers },
    risk: risk === null ? undefined : { id: "risk", port: riskPort },
    notify: notify === null ? undefined : { id: "notify", port: notifyPort },
  });
  const events: CoreEvent[] = [];
  d.onEvent((e) => events.push(e));
  const finals = new Map<string, OrderView>();
  const submit = (orderId: string, amountCents = 0) =>
    d.submit({ orderId, sku: "gift", tier: "standard", amountCents }, (v) => {
      if (v.finishedAt !== null) finals.set(orderId, v);
    });
  return { env, store, providers, riskPort, notifyPort, d, events, finals, submit };
}

describe("risk verdicts", () => {
  it("allow: the order is checked once, after its card is claimed and before the provider call", () => {
    const s = setup(PRESETS.adaptive);
    s.submit("o1", 1234);
    s.env.runFor(1000);
    const v = s.finals.get("o1")!;
    expect(v.state).toBe("DELIVERED");
    expect(s.riskPort.calls).toEqual([
      { orderId: "o1", sku: "gift", tier: "standard", amountCents: 1234, attempt: 1 },
    ]);
    expect(v.timings.riskMs).toBe(5);
    // stock 1 + claim 1 + risk 5 (all ALLOCATING), provider 20, deliver 1
    expect(v.timings.allocatingMs).toBe(7);
    expect(v.timings.totalMs).toBe(28);
  });

  it("deny: DENIED with the reason, the card back in the pool, nothing issued", () => {
    const s = setup(PRESETS.adaptive, {}, { kind: "deny", latencyMs: 5 });
    s.submit("o1");
    s.env.runFor(1000);
    const v = s.finals.get("o1")!;
    expect(v.state).toBe("DENIED");
    expect(v.failureReason).toBe("denied by risk service risk: fake deny");
    expect(v.cardId).toBeNull();
    expect(s.store.holder("o1")).toBeUndefined();
    expect(s.store.freeCount("gift")).toBe(1);
    expect(s.providers.calls).toHaveLength(0);
    // The released card goes to the next order: no card stranded, none given twice.
    s.riskPort.behaviour = { kind: "allow", latencyMs: 5 };
    s.submit("o2");
    s.env.runFor(1000);
    expect(s.finals.get("o2")!.state).toBe("DELIVERED");
    expect(s.store.freeCount("gift")).toBe(0);
    expect(s.store.ghostCards()).toBe(0);
    expect(s.d.snapshot().counters).toMatchObject({ denied: 1, delivered: 1, failed: 0 });
  });

  it("review: REVIEW holds the card for the order (claimed, not delivered, not free)", () => {
    const s = setup(PRESETS.legacy, {}, { kind: "review", latencyMs: 5 });
    s.submit("o1");
    s.env.runFor(1000);
    const v = s.finals.get("o1")!;
    expect(v.state).toBe("REVIEW");
    expect(v.failureReason).toBe("held for review by risk service risk: fake review");
    expect(s.store.holder("o1")?.cardId).toBe(v.cardId);
    expect(s.store.freeCount("gift")).toBe(0);
    expect(s.providers.calls).toHaveLength(0);
    expect(s.d.snapshot().counters).toMatchObject({ review: 1, delivered: 0, failed: 0 });
    expect(s.d.snapshot().lanes.find((l) => l.lane === "default")!.inFlight).toBe(0);
  });
});

describe("the risk service unavailable: each policy does what it says", () => {
  const down: RiskBehaviour = { kind: "blackhole", latencyMs: 0 };
  const run = (risk: object, amountCents = 0, behaviour: RiskBehaviour = down) => {
    const s = setup(PRESETS.adaptive, { risk }, behaviour);
    s.submit("o1", amountCents);
    s.env.runFor(60_000);
    return { s, v: s.finals.get("o1")! };
  };

  it("fail-closed: FAILED after the risk timeout, card released", () => {
    const { s, v } = run({ unavailable: "fail-closed", timeoutMs: 300 });
    expect(v.state).toBe("FAILED");
    expect(v.failureReason).toBe("risk service risk: timeout after 300 ms (fail-closed)");
    expect(v.timings.riskMs).toBe(300);
    expect(s.store.holder("o1")).toBeUndefined();
    expect(s.store.freeCount("gift")).toBe(1);
    expect(s.providers.calls).toHaveLength(0);
  });

  it("fail-open under the limit: delivered without a verdict; above it: aboveLimit (review or fail-closed)", () => {
    const policy = { unavailable: "fail-open", failOpenMaxCents: 5000, aboveLimit: "review" };
    const under = run(policy, 5000);
    expect(under.v.state).toBe("DELIVERED");
    expect(under.s.d.snapshot().counters).toMatchObject({ riskUnavailable: 1, riskFailOpen: 1 });
    const over = run(policy, 5001);
    expect(over.v.state).toBe("REVIEW");
    expect(over.v.failureReason).toContain("amount 5001 cents is over the fail-open limit of 5000");
    expect(over.s.store.holder("o1")?.cardId).toBe(over.v.cardId);
    const closed = run({ ...policy, aboveLimit: "fail-closed" }, 5001);
    expect(closed.v.state).toBe("FAILED");
    expect(closed.s.store.holder("o1")).toBeUndefined();
  });

  it("review: REVIEW, card held; an error answer counts as unavailable like a timeout", () => {
    const { s, v } = run({ unavailable: "review" }, 0, { kind: "error", latencyMs: 3 });
    expect(v.state).toBe("REVIEW");
    expect(v.failureReason).toBe("risk service risk: error: fake error (held for review)");
    expect(s.store.holder("o1")?.cardId).toBe(v.cardId);
  });

  it("retry (legacy): the attempt fails after the provider-length timeout and is retried, then FAILED", () => {
    const s = setup(PRESETS.legacy, {}, down);
    s.submit("o1");
    s.env.runFor(60_000);
    const v = s.finals.get("o1")!;
    expect(v.state).toBe("FAILED");
    expect(v.attempts).toBe(3);
    expect(s.riskPort.calls.map((c) => c.attempt)).toEqual([1, 2, 3]);
    // 3 checks x 3 s in the worker, 2 fixed 5 s backoffs between them
    expect(v.timings.riskMs).toBe(9000);
    expect(v.timings.totalMs).toBeGreaterThanOrEqual(19_000);
    expect(s.store.holder("o1")).toBeUndefined();
  });
});

describe("the risk service on the health board", () => {
  it("adaptive isolates it on an outage, opens an incident, decides by policy, probes and readmits it", () => {
    const s = setup(PRESETS.adaptive, {}, { kind: "allow", latencyMs: 5 });
    let n = 0;
    const tick = (ms: number) => {
      for (let t = 0; t < ms; t += 10) {
        s.submit(`o${++n}`);
        s.env.runFor(10);
      }
    };
    tick(1000);
    s.riskPort.behaviour = { kind: "blackhole", latencyMs: 0 };
    tick(3000);
    const snap = s.d.snapshot();
    expect(snap.providers.find((p) => p.providerId === "risk")!.state).toBe("ISOLATED");
    // Providers are untouched: the risk service is not a provider and took none of their traffic.
    expect(snap.providers.filter((p) => p.providerId !== "risk").map((p) => p.state)).toEqual([
      "HEALTHY",
      "HEALTHY",
    ]);
    expect(s.providers.calls.every((c) => c.providerId !== "risk")).toBe(true);
    const checksWhileIsolated = s.riskPort.calls.length;
    tick(1000);
    // While isolated, orders are decided by fail-open at once (only probes reach the service).
    expect(s.riskPort.calls.filter((c) => !c.orderId.startsWith("probe:")).length).toBe(
      s.riskPort.calls.filter((c, i) => i < checksWhileIsolated && !c.orderId.startsWith("probe:")).length,
    );
    s.riskPort.behaviour = { kind: "allow", latencyMs: 5 };
    tick(10_000);
    const health = s.events.filter((e) => e.kind === "health" && e.providerId === "risk");
    expect(health.map((e) => (e.kind === "health" ? e.to : ""))).toContain("HEALTHY");
    const incidents = s.events.filter((e) => e.kind === "incident");
    expect(incidents.map((e) => (e.kind === "incident" ? e.incident.providerId : ""))).toEqual([
      "risk",
      "risk",
    ]);
    const closed = incidents[1]!;
    expect(closed.kind === "incident" && closed.incident.outcome).toMatch(/^recovered after/);
    expect(closed.kind === "incident" && closed.incident.ordersDiverted).toBeGreaterThan(0);
    expect([...s.finals.values()].every((v) => v.state === "DELIVERED")).toBe(true);
  });

  it("legacy (health off) never isolates it: every order waits for its check", () => {
    const s = setup(PRESETS.legacy, {}, { kind: "error", latencyMs: 5 });
    for (let i = 0; i < 50; i++) s.submit(`o${i}`);
    s.env.runFor(60_000);
    expect(s.d.snapshot().providers.find((p) => p.providerId === "risk")!.state).toBe("HEALTHY");
    expect(s.riskPort.calls).toHaveLength(150);
  });
});

describe("delivery notification", () => {
  it("inline (legacy): the order waits in its worker for the send; a failed send still delivers", () => {
    const s = setup(PRESETS.legacy, {}, null, { kind: "sent", latencyMs: 2000 });
    s.submit("o1");
    s.env.runFor(10_000);
    const v = s.finals.get("o1")!;
    expect(v.state).toBe("DELIVERED");
    expect(v.timings.notifyMs).toBe(2000);
    expect(v.timings.totalMs).toBe(2023);
    s.notifyPort.behaviour = { kind: "blackhole", latencyMs: 0 };
    s.submit("o2");
    s.env.runFor(10_000);
    const w = s.finals.get("o2")!;
    expect(w.state).toBe("DELIVERED");
    expect(w.cardCode).not.toBeNull();
    expect(w.timings.notifyMs).toBe(3000);
    expect(s.d.snapshot().counters).toMatchObject({ notifySent: 1, notifyFailed: 1, delivered: 2 });
  });

  it("outbox (adaptive): never delays the order; failed sends are retried with backoff", () => {
    const s = setup(PRESETS.adaptive, {}, null, { kind: "error", latencyMs: 10 });
    s.submit("o1");
    s.env.runFor(100);
    const v = s.finals.get("o1")!;
    expect(v.state).toBe("DELIVERED");
    expect(v.timings.notifyMs).toBe(0);
    expect(v.timings.totalMs).toBe(23);
    s.env.runFor(2500);
    expect(s.notifyPort.calls.length).toBeGreaterThanOrEqual(2);
    s.notifyPort.behaviour = { kind: "sent", latencyMs: 10 };
    s.env.runFor(120_000);
    const tries = s.notifyPort.calls.map((c) => c.attempt);
    expect(tries).toEqual(tries.map((_, i) => i + 1));
    expect(s.d.snapshot().counters).toMatchObject({ notifySent: 1, notifyFailed: 0, notifyDropped: 0 });
  });

  it("outbox: bounded; beyond its capacity notifications are dropped and counted, orders unaffected", () => {
    const s = setup(PRESETS.adaptive, { notify: { outboxCapacity: 3 } }, null, {
      kind: "blackhole",
      latencyMs: 0,
    });
    for (let i = 0; i < 5; i++) s.submit(`o${i}`);
    s.env.runFor(200);
    expect([...s.finals.values()].map((v) => v.state)).toEqual(Array(5).fill("DELIVERED"));
    expect(s.d.snapshot().counters.notifyDropped).toBe(2);
    s.env.runFor(600_000);
    // Each of the 3 kept is tried maxAttempts (5) times, then given up.
    expect(s.notifyPort.calls).toHaveLength(15);
    expect(s.d.snapshot().counters).toMatchObject({ notifyFailed: 3, notifySent: 0 });
  });
});

describe("configuration of the stages", () => {
  it("is validated with paths", () => {
    const paths = (override: object) => {
      const result = validateConfig(mergeConfig(PRESETS.adaptive, override));
      return result.ok ? [] : result.errors.map((e) => `${e.path}: ${e.message}`);
    };
    expect(paths({ risk: { unavailable: "shrug", failOpenMaxCents: -1 } })).toEqual([
      'risk.unavailable: Invalid option: expected one of "retry"|"fail-closed"|"fail-open"|"review"',
      "risk.failOpenMaxCents: Too small: expected number to be >=0",
    ]);
    expect(paths({ notify: { baseDelayMs: 10, maxDelayMs: 5 } })).toEqual([
      "notify.maxDelayMs: must be at least notify.baseDelayMs",
    ]);
  });

  it("refuses an order amount that is not whole cents", () => {
    const s = setup(PRESETS.adaptive);
    const v = s.d.submit({ orderId: "o1", sku: "gift", tier: "standard", amountCents: -5 });
    expect(v.state).toBe("REJECTED");
    expect(v.rejectReason).toBe("invalid amountCents: -5 (a whole number of cents, 0 or more)");
  });
});
