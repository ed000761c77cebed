// The vertical slice through the dispatcher on the virtual clock: lanes, claim, provider call with
// timeout, delivery, retry, rejection, overflow, snapshot and events.
import { describe, expect, it } from "vitest";
import {
  type CoreEvent,
  createDispatcher,
  type DispatchConfig,
  type OrderView,
  PRESETS,
} from "../../../server/core/index.ts";
import { VirtualEnvironment } from "../../../simulator/kernel/virtual-env.ts";
import { FakeCardStore, FakeProviders } from "../../support/core-fakes.ts";

function setup(config: DispatchConfig = PRESETS.adaptive, providerIds = ["p1", "p2", "p3"]) {
  const env = new VirtualEnvironment(7);
  const store = new FakeCardStore(env, { latencyMs: 2 });
  const providers = new FakeProviders(env, providerIds, { kind: "ok", latencyMs: 20 });
  const dispatcher = createDispatcher({
    env,
    config,
    store,
    providers: { ids: providerIds, port: providers },
  });
  const events: CoreEvent[] = [];
  dispatcher.onEvent((e) => events.push(e));
  return { env, store, providers, dispatcher, events };
}

function track() {
  const views = new Map<string, OrderView[]>();
  const onChange = (v: OrderView) => {
    const list = views.get(v.orderId) ?? [];
    list.push(v);
    views.set(v.orderId, list);
  };
  const last = (id: string) => views.get(id)?.at(-1);
  return { views, onChange, last };
}

describe("dispatcher: an order's life", () => {
  it("delivers an order through queue, allocation and a provider, with timings that add up", () => {
    const { env, dispatcher, store } = setup();
    const t = track();
    const first = dispatcher.submit({ orderId: "o1", sku: "gift-50", tier: "standard" }, t.onChange);
    expect(first.state).toBe("QUEUED");
    expect(first.lane).toBe("default");
    env.runFor(1000);
    const states = t.views.get("o1")!.map((v) => v.state);
    expect(states).toEqual(["QUEUED", "ALLOCATING", "ISSUING", "DELIVERED"]);
    const done = t.last("o1")!;
    expect(done.cardCode).toMatch(/^CODE-gift-50-/);
    expect(done.attempts).toBe(1);
    expect(done.finishedAt! - done.submittedAt).toBe(done.timings.totalMs);
    // stock check 2 ms + claim 2 ms, provider 20 ms, deliver 2 ms
    expect(done.timings.totalMs).toBe(26);
    expect(done.timings.allocatingMs + done.timings.issuingMs + done.timings.queuedMs).toBe(26);
    expect(store.ownersOf(done.cardId!)).toEqual(["o1"]);
    expect(dispatcher.get("o1")).toBeUndefined();
    expect(dispatcher.snapshot().counters.delivered).toBe(1);
  });

  it("puts a VIP order in the VIP lane, and everyone in the one FIFO lane under legacy", () => {
    const a = setup(PRESETS.adaptive);
    expect(a.dispatcher.submit({ orderId: "v", sku: "s", tier: "vip" }).lane).toBe("vip");
    const l = setup(PRESETS.legacy);
    expect(l.dispatcher.submit({ orderId: "v", sku: "s", tier: "vip" }).lane).toBe("default");
    expect(l.dispatcher.snapshot().lanes.map((x) => x.lane)).toEqual(["default"]);
  });

  it("times out a provider that never answers, retries on another attempt and never claims a second card", () => {
    const { env, dispatcher, providers, store } = setup(PRESETS.adaptive, ["p1"]);
    providers.set("p1", { kind: "blackhole" });
    const t = track();
    dispatcher.submit({ orderId: "o1", sku: "s", tier: "standard" }, t.onChange);
    env.runFor(850);
    expect(t.last("o1")!.state).toBe("RETRYING");
    expect(t.last("o1")!.failureReason).toContain("timed out after 800 ms");
    providers.set("p1", { kind: "ok", latencyMs: 5 });
    env.runFor(5000);
    const done = t.last("o1")!;
    expect(done.state).toBe("DELIVERED");
    expect(done.attempts).toBe(2);
    expect(store.calls.claim).toBe(1);
    expect(dispatcher.snapshot().counters.timeouts).toBe(1);
    expect(dispatcher.snapshot().counters.retries).toBe(1);
  });

  it("fails after the last attempt and releases the card", () => {
    const { env, dispatcher, providers, store } = setup(PRESETS.adaptive, ["p1"]);
    providers.set("p1", { kind: "error", latencyMs: 5, reason: "upstream 503" });
    const t = track();
    dispatcher.submit({ orderId: "o1", sku: "s", tier: "standard" }, t.onChange);
    env.runFor(60000);
    const done = t.last("o1")!;
    expect(done.state).toBe("FAILED");
    expect(done.attempts).toBe(3);
    expect(done.failureReason).toContain("upstream 503");
    expect(done.cardId).toBeNull();
    expect(store.calls.release).toBe(1);
    expect(store.freeCount("s")).toBe(1);
  });

  it("rejects with a clear reason when the queue is full, and rejects invalid orders", () => {
    const config = structuredClone(PRESETS.legacy);
    config.lanes.default = { workers: 1, queueCapacity: 2 };
    const { dispatcher } = setup(config);
    const states = ["a", "b", "c", "d"].map((id) =>
      dispatcher.submit({ orderId: id, sku: "s", tier: "standard" }),
    );
    expect(states.map((v) => v.state)).toEqual(["QUEUED", "QUEUED", "QUEUED", "REJECTED"]);
    expect(states[3]!.rejectReason).toBe("queue full: lane default holds 2 of 2");
    expect(dispatcher.submit({ orderId: "", sku: "s", tier: "standard" }).rejectReason).toContain("orderId");
    expect(dispatcher.submit({ orderId: "a", sku: "s", tier: "standard" }).rejectReason).toContain(
      "duplicate",
    );
  });

  it("holds a worker slot for the whole provider call, so a slow provider makes a queue", () => {
    const config = structuredClone(PRESETS.legacy);
    config.lanes.default = { workers: 2, queueCapacity: 100 };
    const { env, dispatcher, providers } = setup(config, ["p1"]);
    providers.set("p1", { kind: "ok", latencyMs: 1000 });
    for (let i = 0; i < 6; i++) dispatcher.submit({ orderId: `o${i}`, sku: "s", tier: "standard" });
    env.runFor(100);
    const lane = dispatcher.snapshot().lanes[0]!;
    expect(lane.inFlight).toBe(2);
    expect(lane.queueDepth).toBe(4);
  });

  it("overflows new standard orders to the backup above the load threshold and counts the switch", () => {
    const env = new VirtualEnvironment(3);
    const config = structuredClone(PRESETS.adaptive);
    config.lanes.vip.workers = 1;
    config.lanes.vip.reserve = 0;
    config.lanes.default.workers = 4;
    const store = new FakeCardStore(env, { latencyMs: 1 });
    const providers = new FakeProviders(env, ["p1"], { kind: "ok", latencyMs: 500 });
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
    const t = track();
    // 20 orders/s of 500 ms each keep 10 slots busy: far above 5 slots.
    for (let ms = 0; ms < 20000; ms += 50) {
      env.runUntil(ms);
      primary.submit({ orderId: `o${n++}`, sku: "s", tier: "standard" }, t.onChange);
    }
    env.runFor(30000);
    const route = events.filter((e) => e.kind === "route");
    expect(route.length).toBeGreaterThanOrEqual(1);
    expect(route[0]).toMatchObject({ overflowActive: true });
    const snap = primary.snapshot();
    expect(snap.counters.overflowed).toBeGreaterThan(0);
    expect(snap.counters.routeSwitches).toBe(route.length);
    const overflowed = [...t.views.values()].map((l) => l.at(-1)!).filter((v) => v.lane === "overflow");
    expect(overflowed.length).toBe(snap.counters.overflowed);
    expect(overflowed.every((v) => v.state === "DELIVERED" && v.cluster === "backup")).toBe(true);
    expect(primary.submit({ orderId: "vip1", sku: "s", tier: "vip" }).lane).toBe("vip");
    primary.stop();
    backup.stop();
  });

  it("stop() cancels every timer so a virtual run ends", () => {
    const { env, dispatcher, providers } = setup(PRESETS.adaptive, ["p1", "p2"]);
    providers.set("p1", { kind: "blackhole" });
    for (let i = 0; i < 50; i++) dispatcher.submit({ orderId: `o${i}`, sku: "s", tier: "standard" });
    env.runFor(500);
    dispatcher.stop();
    env.runAll(1_000_000);
    expect(env.pending).toBe(0);
    expect(dispatcher.submit({ orderId: "late", sku: "s", tier: "standard" }).state).toBe("REJECTED");
  });

  it("its periodic timer stops when idle, so runAll() terminates", () => {
    const { env, dispatcher } = setup();
    dispatcher.submit({ orderId: "o1", sku: "s", tier: "standard" });
    env.runAll(100_000);
    expect(env.pending).toBe(0);
  });

  it("applies a partial configuration at once, or nothing with every error", () => {
    const config = structuredClone(PRESETS.legacy);
    config.lanes.default = { workers: 1, queueCapacity: 100 };
    const { env, dispatcher, providers } = setup(config, ["p1"]);
    providers.set("p1", { kind: "ok", latencyMs: 1000 });
    for (let i = 0; i < 10; i++) dispatcher.submit({ orderId: `o${i}`, sku: "s", tier: "standard" });
    env.runFor(10);
    expect(dispatcher.snapshot().lanes[0]!.queueDepth).toBe(9);
    const bad = dispatcher.applyConfig({ lanes: { default: { workers: -1 } }, retry: { jitter: "some" } });
    expect(bad.ok).toBe(false);
    if (!bad.ok)
      expect(bad.errors.map((e) => e.path).sort()).toEqual(["lanes.default.workers", "retry.jitter"]);
    expect(dispatcher.getConfig().lanes.default.workers).toBe(1);
    const good = dispatcher.applyConfig({ lanes: { default: { workers: 10 } } });
    expect(good.ok).toBe(true);
    expect(dispatcher.getConfig().lanes.default.workers).toBe(10);
    expect(dispatcher.snapshot().lanes[0]).toMatchObject({ queueDepth: 0, inFlight: 10, workers: 10 });
  });

  it("is deterministic: the same seed gives the same run, event for event", () => {
    const once = () => {
      const { env, dispatcher, providers, events } = setup(PRESETS.adaptive, ["p1", "p2", "p3"]);
      const log: string[] = [];
      for (let i = 0; i < 600; i++) {
        env.runUntil(i * 5);
        if (i === 100) providers.set("p2", { kind: "blackhole" });
        if (i === 300) providers.set("p2", { kind: "error", latencyMs: 5 });
        dispatcher.submit(
          { orderId: `o${i}`, sku: `s${i % 3}`, tier: i % 9 === 0 ? "vip" : "standard" },
          (v) => log.push(`${v.orderId}:${v.state}:${v.providerId}:${v.finishedAt}`),
        );
      }
      env.runFor(60_000);
      return { log, events: JSON.stringify(events), snap: JSON.stringify(dispatcher.snapshot()) };
    };
    const a = once();
    const b = once();
    expect(a.log.length).toBeGreaterThan(2000);
    expect(b).toEqual(a);
  });
});

describe("views handed to onChange", () => {
  function lifeOf(liveViews: boolean) {
    const env = new VirtualEnvironment(7);
    const store = new FakeCardStore(env, { latencyMs: 2 });
    const providers = new FakeProviders(env, ["p1"], { kind: "ok", latencyMs: 20 });
    const d = createDispatcher({
      env,
      config: PRESETS.adaptive,
      store,
      providers: { ids: ["p1"], port: providers },
      liveViews,
    });
    const seen: { view: OrderView; state: string }[] = [];
    d.submit({ orderId: "o1", sku: "s", tier: "standard" }, (v) => seen.push({ view: v, state: v.state }));
    env.runFor(1_000);
    d.stop();
    return seen;
  }

  it("are copies by default: each one keeps the state it was sent with", () => {
    const seen = lifeOf(false);
    expect(seen.map((s) => s.view.state)).toEqual(seen.map((s) => s.state));
    expect(new Set(seen.map((s) => s.view)).size).toBe(seen.length);
  });

  it("with liveViews are the order's own object (the simulator reads and forgets), the same states in order", () => {
    const live = lifeOf(true);
    expect(live.map((s) => s.state)).toEqual(lifeOf(false).map((s) => s.state));
    // Every call after the first hands over one object (the first is that object too: submit returns
    // it), which ends as the terminal view.
    const objects = new Set(live.slice(1).map((s) => s.view));
    expect(objects.size).toBe(1);
    expect(live.at(-1)?.view.state).toBe("DELIVERED");
  });
});
