// The farm's risk and notification services: in process on the virtual clock, over real gRPC on
// loopback (a farm in this process), and reached by the Admin API's InjectFault of `rushhour serve`.
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CustomerTier, FaultKind } from "../../../proto/gen/rushhour/v1/common.ts";
import { WaitMode } from "../../../proto/gen/rushhour/v1/dispatch.ts";
import type { ListProvidersResponse } from "../../../proto/gen/rushhour/v1/provider.ts";
import { type RunningServer, startServer } from "../../../server/app.ts";
import type { NotifyOutcome, RiskOutcome, RiskPort, RiskRequest } from "../../../server/core/ports.ts";
import { type RunningFarm, startProviderFarm } from "../../../server/farm.ts";
import { FaultBook } from "../../../server/providers/faults.ts";
import {
  defaultProviders,
  type ProviderModel,
  type RiskModel,
  validateFarmSpec,
} from "../../../server/providers/model.ts";
import { RemoteProviders } from "../../../server/providers/remote.ts";
import { RemoteNotify, RemoteRisk } from "../../../server/providers/remote-stages.ts";
import { LocalStageServices } from "../../../server/providers/stage-services.ts";
import { resolveConfig } from "../../../simulator/configs.ts";
import { VirtualEnvironment } from "../../../simulator/kernel/virtual-env.ts";
import { bearer, call, clients, failure, providerClient } from "../grpc/clients.ts";

const risk = (over: Partial<RiskModel> = {}): RiskModel => ({
  id: "risk",
  p50Ms: 15,
  p99Ms: 120,
  capacity: 1000,
  errorRate: 0,
  denyRate: 0.1,
  reviewRate: 0.05,
  ...over,
});
const notification = (over: Partial<ProviderModel> = {}): ProviderModel => ({
  id: "notify",
  p50Ms: 80,
  p99Ms: 800,
  capacity: 1000,
  errorRate: 0,
  ...over,
});
const request = (i: number): RiskRequest => ({
  orderId: `o-${i}`,
  sku: "sku-a",
  tier: "standard",
  amountCents: 1000,
  attempt: 1,
});
const check = (port: RiskPort, i = 0) =>
  new Promise<RiskOutcome>((resolve) => port.check(request(i), resolve));
const errorFault = (id: string) => ({
  providerId: id,
  kind: FaultKind.FAULT_KIND_ERROR,
  probability: 1,
  latencyMs: 0,
  durationMs: 0,
});
const latencyFault = (id: string, latencyMs: number) => ({
  providerId: id,
  kind: FaultKind.FAULT_KIND_LATENCY,
  probability: 1,
  latencyMs,
  durationMs: 0,
});

describe("risk and notification services on the virtual clock", () => {
  it("the risk service allows, denies and reviews at its shares", () => {
    const env = new VirtualEnvironment(11);
    const stages = new LocalStageServices({ risk: risk() }, env, new FaultBook(() => env.now()));
    const outcomes: RiskOutcome["kind"][] = [];
    for (let i = 0; i < 20_000; i++) stages.risk?.check(request(i), (o) => outcomes.push(o.kind));
    env.runAll();
    const share = (kind: string) => outcomes.filter((k) => k === kind).length / outcomes.length;
    expect(outcomes).toHaveLength(20_000);
    expect(share("deny")).toBeCloseTo(0.1, 1);
    expect(share("review")).toBeCloseTo(0.05, 1);
    expect(share("allow")).toBeCloseTo(0.85, 1);
  });

  it("a 2 s latency fault on the notification service holds its calls; a fault for every provider does not", () => {
    const env = new VirtualEnvironment(3);
    const faults = new FaultBook(() => env.now());
    const stages = new LocalStageServices(
      { notification: notification({ p50Ms: 80, p99Ms: 80 }) },
      env,
      faults,
    );
    faults.inject({ providerId: "", kind: "error", probability: 1, latencyMs: 0, durationMs: 0 });
    const done: { at: number; outcome: NotifyOutcome }[] = [];
    const send = () =>
      stages.notification?.send({ orderId: "o", sku: "s", tier: "vip", attempt: 1 }, (outcome) =>
        done.push({ at: env.now(), outcome }),
      );
    send();
    env.runAll();
    expect(done).toEqual([{ at: 80, outcome: { kind: "sent" } }]);
    faults.inject({ providerId: "notify", kind: "latency", probability: 1, latencyMs: 2000, durationMs: 0 });
    send();
    expect(stages.notification?.info().inFlight).toBe(1);
    env.runAll();
    expect(done[1]).toEqual({ at: 80 + 2080, outcome: { kind: "sent" } });
  });

  it("a farm spec's ids must not clash and its shares must add up to at most 1", () => {
    const clash = validateFarmSpec({ providers: defaultProviders(1), risk: risk({ id: "p1" }) });
    expect(clash.ok).toBe(false);
    const shares = validateFarmSpec({
      providers: defaultProviders(1),
      risk: risk({ denyRate: 0.7, reviewRate: 0.5 }),
    });
    expect(shares.ok ? [] : shares.errors).toEqual([
      { path: "risk.reviewRate", message: "denyRate + reviewRate must be <= 1" },
    ]);
    const defaults = validateFarmSpec({
      providers: defaultProviders(1),
      risk: { p50Ms: 1, p99Ms: 2, capacity: 1, errorRate: 0 },
      notification: { p50Ms: 1, p99Ms: 2, capacity: 1, errorRate: 0 },
    });
    expect(defaults.ok && [defaults.spec.risk?.id, defaults.spec.notification?.id]).toEqual([
      "risk",
      "notify",
    ]);
  });
});

describe("the farm's risk and notification services over gRPC", () => {
  let farm: RunningFarm;
  let remote: RemoteProviders;
  const listed = async (): Promise<ListProvidersResponse> => {
    const client = providerClient(farm.address);
    const res = await call(client.listProviders, client, {});
    client.close();
    return res;
  };

  beforeAll(async () => {
    farm = await startProviderFarm({
      host: "127.0.0.1",
      port: 0,
      models: defaultProviders(2),
      risk: risk({ p50Ms: 1, p99Ms: 5 }),
      // One call at a time, so a later call waits behind a held one (FIFO).
      notification: notification({ p50Ms: 1, p99Ms: 5, capacity: 1 }),
    });
    remote = await RemoteProviders.connect([farm.address], { deadlineMs: 10_000 });
  });
  afterAll(async () => {
    remote?.close();
    await farm?.close();
  });

  it("lists both services, and a server connecting to it finds them", async () => {
    const res = await listed();
    expect(res.risk).toMatchObject({ serviceId: "risk", denyRate: 0.1, reviewRate: 0.05 });
    expect(res.notification).toMatchObject({ serviceId: "notify", capacity: 1 });
    expect(remote.risk?.info.serviceId).toBe("risk");
    expect(remote.notification?.info.serviceId).toBe("notify");
    expect(remote.ids).toEqual(["p1", "p2"]);
    expect(remote.serves("risk") && remote.serves("notify") && !remote.serves("zz")).toBe(true);
  });

  it("answers allow, deny and review at its shares", async () => {
    const port = new RemoteRisk(remote.risk!.farm.client, "risk", 10_000);
    const outcomes = await Promise.all(Array.from({ length: 400 }, (_, i) => check(port, i)));
    const count = (kind: string) => outcomes.filter((o) => o.kind === kind).length;
    expect(count("error")).toBe(0);
    // Binomial(400, 0.1) and (400, 0.05): each bound is 4 standard deviations from the mean.
    expect(count("deny")).toBeGreaterThan(16);
    expect(count("deny")).toBeLessThan(64);
    expect(count("review")).toBeGreaterThan(2);
    expect(count("review")).toBeLessThan(38);
    expect(outcomes.find((o) => o.kind === "deny")).toEqual({ kind: "deny", reason: "risk_model_deny" });
  });

  it("honours a fault injected through the farm's fault rpc, until cleared", async () => {
    const client = providerClient(farm.address);
    const port = new RemoteRisk(remote.risk!.farm.client, "risk", 10_000);
    await call(client.injectProviderFault, client, { fault: errorFault("risk") });
    expect((await listed()).risk?.activeFaults).toHaveLength(1);
    const faulted = await Promise.all(Array.from({ length: 20 }, (_, i) => check(port, i)));
    expect(faulted.every((o) => o.kind === "error" && o.reason === "risk_error")).toBe(true);
    // The providers are untouched by a fault that names the risk service.
    expect((await listed()).providers.every((p) => p.activeFaults.length === 0)).toBe(true);
    expect((await call(client.clearProviderFaults, client, { providerId: "risk" })).cleared).toBe(1);
    expect((await check(port)).kind).not.toBe("error");
    client.close();
  });

  it("a 2 s latency fault holds notification calls for 2 s", async () => {
    const client = providerClient(farm.address);
    await call(client.injectProviderFault, client, { fault: latencyFault("notify", 2000) });
    const res = await call(client.sendNotification, client, {
      serviceId: "notify",
      orderId: "o-slow",
      sku: "sku-a",
      tier: CustomerTier.CUSTOMER_TIER_STANDARD,
      attempt: 1,
    });
    expect(res.serviceMs).toBeGreaterThanOrEqual(2000);
    await call(client.clearProviderFaults, client, { providerId: "notify" });
    client.close();
  });

  it("the adapter times out at its deadline and reports the late answer nowhere", async () => {
    const client = providerClient(farm.address);
    await call(client.injectProviderFault, client, { fault: latencyFault("notify", 600) });
    const short = new RemoteNotify(remote.notification!.farm.client, "notify", 150);
    const answers: NotifyOutcome[] = [];
    const first = new Promise<void>((resolve) =>
      short.send({ orderId: "o-late", sku: "s", tier: "standard", attempt: 1 }, (o) => {
        answers.push(o);
        resolve();
      }),
    );
    await first;
    expect(answers).toEqual([{ kind: "error", reason: "timeout" }]);
    await call(client.clearProviderFaults, client, { providerId: "notify" });
    // Capacity 1: this call is served only after the farm finished the late one, so the late answer
    // has come and gone by the time it returns.
    const patient = new RemoteNotify(remote.notification!.farm.client, "notify", 10_000);
    const second = await new Promise<NotifyOutcome>((resolve) =>
      patient.send({ orderId: "o-next", sku: "s", tier: "standard", attempt: 1 }, resolve),
    );
    expect(second).toEqual({ kind: "sent" });
    expect(answers).toHaveLength(1);
    client.close();
  });

  it("refuses an unknown service id with NOT_FOUND and names a missing one", async () => {
    const client = providerClient(farm.address);
    const err = await failure(
      call(client.checkRisk, client, {
        serviceId: "fraud",
        orderId: "o",
        sku: "s",
        tier: CustomerTier.CUSTOMER_TIER_STANDARD,
        amountCents: 0,
        attempt: 1,
      }),
    );
    expect(err.code).toBe(status.NOT_FOUND);
    expect(err.details).toMatch(/no risk service "fraud"/);
    client.close();
  });
});

describe("serve with risk and notification services", () => {
  const servers: RunningServer[] = [];
  let farm: RunningFarm;
  beforeAll(async () => {
    farm = await startProviderFarm({
      host: "127.0.0.1",
      port: 0,
      models: defaultProviders(2),
      risk: risk({ p50Ms: 1, p99Ms: 5 }),
      notification: notification({ p50Ms: 1, p99Ms: 5 }),
    });
  });
  afterAll(async () => {
    for (const s of servers) await s.close(0);
    await farm?.close();
  });
  const serve = async (providers: Parameters<typeof startServer>[0]["providers"]) => {
    const running = await startServer({
      host: "127.0.0.1",
      port: 0,
      storeUrl: "memory:",
      config: resolveConfig("adaptive"),
      preset: "adaptive",
      providers,
      metricsPort: null,
      adminToken: "test-admin-token",
      role: "primary",
      seedStock: 10,
      skus: ["sku-a"],
    });
    servers.push(running);
    return running;
  };

  it("local: Admin InjectFault names the risk service, and its port fails until ClearFaults", async () => {
    const server = await serve({ kind: "local", models: defaultProviders(2), risk: risk() });
    const port = server.context.providers.risk?.port;
    expect(server.context.providers.risk?.id).toBe("risk");
    expect(server.context.providers.notify).toBeUndefined();
    const c = clients(server.address);
    const auth = bearer("test-admin-token");
    await call(c.admin.injectFault, c.admin, { fault: errorFault("risk") }, { metadata: auth });
    expect(await check(port!)).toEqual({ kind: "error", reason: "risk_error" });
    expect(
      (await call(c.admin.clearFaults, c.admin, { providerId: "risk" }, { metadata: auth })).cleared,
    ).toBe(1);
    expect((await check(port!)).kind).not.toBe("error");
    const unknown = await failure(
      call(c.admin.injectFault, c.admin, { fault: errorFault("notify") }, { metadata: auth }),
    );
    expect(unknown.code).toBe(status.INVALID_ARGUMENT);
    c.close();
  });

  it("remote: the server finds the farm's services and Admin InjectFault reaches them at the farm", async () => {
    const server = await serve({ kind: "remote", addresses: [farm.address] });
    expect(server.context.providers.risk?.id).toBe("risk");
    expect(server.context.providers.notify?.id).toBe("notify");
    const c = clients(server.address);
    const auth = bearer("test-admin-token");
    await call(c.admin.injectFault, c.admin, { fault: latencyFault("notify", 2000) }, { metadata: auth });
    const client = providerClient(farm.address);
    const listed = await call(client.listProviders, client, {});
    expect(listed.notification?.activeFaults.map((f) => f.latencyMs)).toEqual([2000]);
    expect(listed.risk?.activeFaults).toEqual([]);
    await call(c.admin.clearFaults, c.admin, { providerId: "notify" }, { metadata: auth });
    expect((await call(client.listProviders, client, {})).notification?.activeFaults).toEqual([]);
    const sent = await new Promise<NotifyOutcome>((resolve) =>
      server.context.providers.notify?.port.send(
        { orderId: "o-1", sku: "sku-a", tier: "vip", attempt: 1 },
        resolve,
      ),
    );
    expect(sent).toEqual({ kind: "sent" });
    client.close();
    c.close();
  });

  it("times the risk check and the notification as it sees them, under their ids (what calibrate measures)", async () => {
    const server = await serve({ kind: "remote", addresses: [farm.address] });
    const c = clients(server.address);
    const auth = bearer("test-admin-token");
    const res = await call(c.dispatch.submitOrder, c.dispatch, {
      idempotencyKey: "timed-stages",
      sku: "sku-a",
      tier: CustomerTier.CUSTOMER_TIER_STANDARD,
      waitMode: WaitMode.WAIT_MODE_DELIVERED,
    });
    expect(res.order?.cardCode).not.toBe("");
    // The notification leaves the outbox after the reply: wait until the server has timed it.
    await vi.waitFor(async () => {
      const snap = await call(c.admin.getSnapshot, c.admin, { includeOperations: true }, { metadata: auth });
      const count = (name: string) => snap.operations.find((o) => o.name === name)?.count ?? 0;
      expect(count("provider.risk")).toBe(1);
      expect(count("provider.notify")).toBe(1);
      const risk = snap.operations.find((o) => o.name === "provider.risk");
      expect(risk?.quantilesMs).toHaveLength(101);
      expect(risk?.meanMs).toBeGreaterThan(0);
    });
    // Unasked, a snapshot leaves the timings out: the load driver samples every window, and computing
    // them stalled the server's event loop for tens of ms each time.
    const plain = await call(c.admin.getSnapshot, c.admin, { includeOperations: false }, { metadata: auth });
    expect(plain.operations).toEqual([]);
    expect(plain.lanes.length).toBeGreaterThan(0);
    c.close();
  });
});
