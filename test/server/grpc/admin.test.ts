// AdminService over real loopback gRPC: bearer auth, config, faults seen in snapshots and events.
import { availableParallelism } from "node:os";
import { type Metadata, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CanaryDecision, EventKind, type WatchEventsResponse } from "../../../proto/gen/rushhour/v1/admin.ts";
import { CustomerTier, FaultKind, HealthState } from "../../../proto/gen/rushhour/v1/common.ts";
import { WaitMode } from "../../../proto/gen/rushhour/v1/dispatch.ts";
import { type SpawnedServer, spawnServe } from "../../support/spawn.ts";
import { bearer, call, clients, failure } from "./clients.ts";

let server: SpawnedServer;
let c: ReturnType<typeof clients>;
let auth: Metadata;

beforeAll(async () => {
  server = await spawnServe(["--skus", "sku-a", "--seed-stock", "2000"]);
  c = clients(server.address);
  auth = bearer(server.adminToken);
});

afterAll(async () => {
  c?.close();
  await server?.stop();
});

describe("admin auth", () => {
  it("refuses every Admin call without the bearer token", async () => {
    const a = c.admin;
    const calls: Promise<unknown>[] = [
      call(a.getConfig, a, {}),
      call(a.applyConfig, a, { preset: "legacy", dryRun: true }),
      call(a.startCanary, a, { preset: "legacy", share: 0 }),
      call(a.getCanaryVerdict, a, {}),
      call(a.stopCanary, a, {}),
      call(a.injectFault, a, {
        fault: {
          providerId: "",
          kind: FaultKind.FAULT_KIND_ERROR,
          probability: 1,
          latencyMs: 0,
          durationMs: 0,
        },
      }),
      call(a.clearFaults, a, { providerId: "" }),
      call(a.importCards, a, { sku: "sku-a", codes: ["X-1"] }),
      call(a.getSnapshot, a, { includeOperations: false }),
    ];
    for (const p of calls) expect((await failure(p)).code).toBe(status.UNAUTHENTICATED);
    const stream = a.watchEvents({ kinds: [] });
    const err = await new Promise<{ code: number }>((resolve) => {
      stream.on("data", () => {});
      stream.on("error", resolve);
    });
    expect(err.code).toBe(status.UNAUTHENTICATED);
  });

  it("refuses a wrong token", async () => {
    const err = await failure(
      call(c.admin.getSnapshot, c.admin, { includeOperations: false }, { metadata: bearer("not-the-token") }),
    );
    expect(err.code).toBe(status.UNAUTHENTICATED);
  });
});

describe("configuration", () => {
  it("GetConfig returns the preset in force", async () => {
    const res = await call(c.admin.getConfig, c.admin, {}, { metadata: auth });
    expect(res.preset).toBe("adaptive");
    expect(JSON.parse(res.configJson).name).toBe("adaptive");
  });

  it("ApplyConfig dry_run returns every error and applies nothing", async () => {
    const before = await call(c.admin.getConfig, c.admin, {}, { metadata: auth });
    const res = await call(
      c.admin.applyConfig,
      c.admin,
      {
        configJson: JSON.stringify({ lanes: { default: { workers: -1 } }, retry: { maxAttempts: 0 } }),
        dryRun: true,
      },
      { metadata: auth },
    );
    expect(res.applied).toBe(false);
    const paths = res.errors.map((e) => e.path);
    expect(paths).toContain("lanes.default.workers");
    expect(paths).toContain("retry.maxAttempts");
    expect(res.version).toBe(before.version);
  });

  it("ApplyConfig applies a valid change and bumps the version", async () => {
    const before = await call(c.admin.getConfig, c.admin, {}, { metadata: auth });
    const res = await call(
      c.admin.applyConfig,
      c.admin,
      { configJson: JSON.stringify({ retry: { maxAttempts: 4 } }), dryRun: false },
      { metadata: auth },
    );
    expect(res.errors).toEqual([]);
    expect(res.applied).toBe(true);
    expect(res.version).toBe(before.version + 1);
    const after = await call(c.admin.getConfig, c.admin, {}, { metadata: auth });
    expect(JSON.parse(after.configJson).retry.maxAttempts).toBe(4);
  });

  it("ImportCards adds keys and counts duplicates; the new SKU is then sold", async () => {
    const codes = ["IMP-0001", "IMP-0002", "IMP-0003"];
    const first = await call(c.admin.importCards, c.admin, { sku: "sku-new", codes }, { metadata: auth });
    expect(first).toEqual({ imported: 3, duplicates: 0 });
    const again = await call(c.admin.importCards, c.admin, { sku: "sku-new", codes }, { metadata: auth });
    expect(again).toEqual({ imported: 0, duplicates: 3 });
    const res = await call(c.dispatch.submitOrder, c.dispatch, {
      idempotencyKey: "import-check",
      sku: "sku-new",
      tier: CustomerTier.CUSTOMER_TIER_VIP,
      waitMode: WaitMode.WAIT_MODE_DELIVERED,
    });
    expect(codes).toContain(res.order?.cardCode);
  });

  it("rejects a fault for an unknown provider, naming the field", async () => {
    const err = await failure(
      call(
        c.admin.injectFault,
        c.admin,
        {
          fault: {
            providerId: "zz",
            kind: FaultKind.FAULT_KIND_ERROR,
            probability: 1,
            latencyMs: 0,
            durationMs: 0,
          },
        },
        { metadata: auth },
      ),
    );
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/^fault\.provider_id: /);
  });
});

describe("fault injection", () => {
  it("an erroring provider leaves HEALTHY in GetSnapshot and WatchEvents", async () => {
    const events: WatchEventsResponse[] = [];
    const stream = c.admin.watchEvents({ kinds: [EventKind.EVENT_KIND_HEALTH_TRANSITION] }, auth);
    stream.on("data", (e: WatchEventsResponse) => events.push(e));
    stream.on("error", () => {});
    await call(
      c.admin.injectFault,
      c.admin,
      {
        fault: {
          providerId: "p1",
          kind: FaultKind.FAULT_KIND_ERROR,
          probability: 1,
          latencyMs: 0,
          durationMs: 0,
        },
      },
      { metadata: auth },
    );
    let p1State = HealthState.HEALTH_STATE_HEALTHY;
    let sent = 0;
    // Bounded traffic: at most 400 orders, in batches, until p1 leaves HEALTHY.
    while (sent < 400 && p1State === HealthState.HEALTH_STATE_HEALTHY) {
      await Promise.all(
        Array.from({ length: 20 }, () =>
          call(c.dispatch.submitOrder, c.dispatch, {
            idempotencyKey: `fault-${sent++}`,
            sku: "sku-a",
            tier: CustomerTier.CUSTOMER_TIER_STANDARD,
            waitMode: WaitMode.WAIT_MODE_DELIVERED,
          }),
        ),
      );
      const snap = await call(c.admin.getSnapshot, c.admin, { includeOperations: false }, { metadata: auth });
      p1State = snap.providers.find((p) => p.providerId === "p1")?.state ?? p1State;
    }
    expect(p1State).not.toBe(HealthState.HEALTH_STATE_HEALTHY);
    const snap = await call(c.admin.getSnapshot, c.admin, { includeOperations: false }, { metadata: auth });
    const p1 = snap.providers.find((p) => p.providerId === "p1")!;
    expect(p1.activeFaults.map((f) => f.kind)).toEqual([FaultKind.FAULT_KIND_ERROR]);
    expect(snap.role).toBe("primary");
    expect(snap.process?.rssBytes).toBeGreaterThan(0);
    expect(snap.counters?.accepted).toBeGreaterThan(0);
    // The server samples its CPU each second: the first sample after these orders covers a second in
    // which it served them, so it shows CPU used, and no more than the machine's cores.
    const before = snap.process!.cpuUtilisation;
    let sampled = snap;
    while (sampled.process!.cpuUtilisation === before) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      sampled = await call(c.admin.getSnapshot, c.admin, { includeOperations: false }, { metadata: auth });
    }
    expect(sampled.process!.cpuUtilisation).toBeGreaterThan(0);
    expect(sampled.process!.cpuUtilisation).toBeLessThanOrEqual(availableParallelism());
    const p1Event = events.find((e) => e.healthTransition?.providerId === "p1");
    expect(p1Event?.kind).toBe(EventKind.EVENT_KIND_HEALTH_TRANSITION);
    expect(p1Event?.healthTransition?.from).toBe(HealthState.HEALTH_STATE_HEALTHY);
    stream.cancel();

    const cleared = await call(c.admin.clearFaults, c.admin, { providerId: "p1" }, { metadata: auth });
    expect(cleared.cleared).toBe(1);
  });
});

describe("canary", () => {
  it("starts, judges (hold: too little data) and stops a canary", async () => {
    const started = await call(
      c.admin.startCanary,
      c.admin,
      { preset: "legacy", share: 0.1 },
      { metadata: auth },
    );
    expect(started.errors).toEqual([]);
    expect(started.canaryId).not.toBe("");
    const verdict = await call(c.admin.getCanaryVerdict, c.admin, {}, { metadata: auth });
    expect(verdict.canaryId).toBe(started.canaryId);
    expect(verdict.decision).toBe(CanaryDecision.CANARY_DECISION_HOLD);
    expect(verdict.reason).not.toBe("");
    const stopped = await call(c.admin.stopCanary, c.admin, {}, { metadata: auth });
    expect(stopped.canaryId).toBe(started.canaryId);
    const none = await call(c.admin.getCanaryVerdict, c.admin, {}, { metadata: auth });
    expect(none.decision).toBe(CanaryDecision.CANARY_DECISION_UNSPECIFIED);
  });

  it("returns the candidate's validation errors and starts nothing", async () => {
    const res = await call(
      c.admin.startCanary,
      c.admin,
      { configJson: JSON.stringify({ retry: { maxAttempts: -1 } }), share: 0 },
      { metadata: auth },
    );
    expect(res.canaryId).toBe("");
    expect(res.errors.map((e) => e.path)).toContain("retry.maxAttempts");
  });

  it("refuses a candidate that changes what a canary does not run, naming the field and why", async () => {
    const res = await call(
      c.admin.startCanary,
      c.admin,
      { configJson: JSON.stringify({ lanes: { default: { workers: 3 } } }), share: 0 },
      { metadata: auth },
    );
    expect(res.canaryId).toBe("");
    expect(res.errors.map((e) => e.path)).toEqual(["lanes.default.workers"]);
    expect(res.errors[0]?.message).toContain("lanes and worker slots are shared by both arms");
  });
});

describe("admin input validation", () => {
  const fault = (over: Record<string, unknown>) => ({
    fault: {
      providerId: "",
      kind: FaultKind.FAULT_KIND_ERROR,
      probability: 1,
      latencyMs: 0,
      durationMs: 0,
      ...over,
    },
  });
  const cases: [string, () => Promise<unknown>, string][] = [
    ["no fault", () => call(c.admin.injectFault, c.admin, {}, { metadata: auth }), "fault"],
    [
      "probability 2",
      () => call(c.admin.injectFault, c.admin, fault({ probability: 2 }), { metadata: auth }),
      "fault.probability",
    ],
    [
      "negative duration",
      () => call(c.admin.injectFault, c.admin, fault({ durationMs: -5 }), { metadata: auth }),
      "fault.duration_ms",
    ],
    [
      "latency fault without latency",
      () =>
        call(c.admin.injectFault, c.admin, fault({ kind: FaultKind.FAULT_KIND_LATENCY }), { metadata: auth }),
      "fault.latency_ms",
    ],
    [
      "clear unknown provider",
      () => call(c.admin.clearFaults, c.admin, { providerId: "zz" }, { metadata: auth }),
      "provider_id",
    ],
    [
      "import without codes",
      () => call(c.admin.importCards, c.admin, { sku: "sku-a", codes: [] }, { metadata: auth }),
      "codes",
    ],
    [
      "import a code with a space",
      () =>
        call(c.admin.importCards, c.admin, { sku: "sku-a", codes: ["OK-1", "NOT OK"] }, { metadata: auth }),
      "codes[1]",
    ],
    [
      "import bad sku",
      () => call(c.admin.importCards, c.admin, { sku: "a b", codes: ["X"] }, { metadata: auth }),
      "sku",
    ],
    [
      "canary share 0.9",
      () => call(c.admin.startCanary, c.admin, { preset: "legacy", share: 0.9 }, { metadata: auth }),
      "share",
    ],
  ];
  for (const [name, run, field] of cases) {
    it(`${name}: INVALID_ARGUMENT naming ${field}`, async () => {
      const err = await failure(run());
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(err.details.startsWith(`${field}: `)).toBe(true);
    });
  }

  it("ApplyConfig names the source when it is missing or not JSON", async () => {
    const none = await call(c.admin.applyConfig, c.admin, { dryRun: true }, { metadata: auth });
    expect(none.errors.map((e) => e.path)).toEqual(["source"]);
    const bad = await call(
      c.admin.applyConfig,
      c.admin,
      { configJson: "{nope", dryRun: true },
      { metadata: auth },
    );
    expect(bad.errors.map((e) => e.path)).toEqual(["config_json"]);
    const preset = await call(
      c.admin.applyConfig,
      c.admin,
      { preset: "fastest", dryRun: true },
      { metadata: auth },
    );
    expect(preset.errors.map((e) => e.path)).toEqual(["preset"]);
  });
});
