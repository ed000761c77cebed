// `rushhour providers` (a spawned farm) reached through RemoteProviders and through `rushhour serve`.
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CustomerTier, FaultKind, OrderState } from "../../../proto/gen/rushhour/v1/common.ts";
import { WaitMode } from "../../../proto/gen/rushhour/v1/dispatch.ts";
import type { IssueOutcome, IssueRequest } from "../../../server/core/ports.ts";
import { RemoteProviders } from "../../../server/providers/remote.ts";
import { type Spawned, type SpawnedServer, spawnProviders, spawnServe } from "../../support/spawn.ts";
import { bearer, call, clients, failure, providerClient } from "../grpc/clients.ts";

let farm: Spawned;
let remote: RemoteProviders;
const farmClient = () => providerClient(farm.address);

beforeAll(async () => {
  farm = await spawnProviders(["--count", "3"]);
  remote = await RemoteProviders.connect([farm.address], { deadlineMs: 300 });
});

afterAll(async () => {
  remote?.close();
  await farm?.stop();
});

const issue = (providerId: string): Promise<IssueOutcome> =>
  new Promise((resolve) => {
    const request: IssueRequest = { providerId, orderId: "o-1", sku: "s", cardId: "c-1", attempt: 1 };
    remote.issue(request, resolve);
  });

describe("provider farm", () => {
  it("lists its providers and issues cards over gRPC", async () => {
    expect(remote.ids).toEqual(["p1", "p2", "p3"]);
    const outcome = await issue("p2");
    expect(outcome.kind).toBe("issued");
  });

  it("an injected error fault surfaces as a provider error; the farm lists it until cleared", async () => {
    const client = farmClient();
    await call(client.injectProviderFault, client, {
      fault: {
        providerId: "p1",
        kind: FaultKind.FAULT_KIND_ERROR,
        probability: 1,
        latencyMs: 0,
        durationMs: 0,
      },
    });
    expect(await issue("p1")).toEqual({ kind: "error", reason: "provider_error" });
    const listed = await call(client.listProviders, client, {});
    expect(listed.providers.find((p) => p.providerId === "p1")?.activeFaults).toHaveLength(1);
    expect((await call(client.clearProviderFaults, client, { providerId: "p1" })).cleared).toBe(1);
    expect((await issue("p1")).kind).toBe("issued");
    client.close();
  });

  it("a blackholed provider is a timeout at the caller's deadline", async () => {
    const client = farmClient();
    await call(client.injectProviderFault, client, {
      fault: {
        providerId: "p3",
        kind: FaultKind.FAULT_KIND_BLACKHOLE,
        probability: 1,
        latencyMs: 0,
        durationMs: 0,
      },
    });
    expect(await issue("p3")).toEqual({ kind: "error", reason: "timeout" });
    await call(client.clearProviderFaults, client, { providerId: "" });
    client.close();
  });

  it("refuses an unknown provider with NOT_FOUND and a bad fault with INVALID_ARGUMENT", async () => {
    const client = farmClient();
    const err = await failure(
      call(client.issueCard, client, { providerId: "zz", orderId: "o", sku: "s", cardId: "c", attempt: 1 }),
    );
    expect(err.code).toBe(status.NOT_FOUND);
    const bad = await failure(
      call(client.injectProviderFault, client, {
        fault: {
          providerId: "",
          kind: FaultKind.FAULT_KIND_UNSPECIFIED,
          probability: 1,
          latencyMs: 0,
          durationMs: 0,
        },
      }),
    );
    expect(bad.code).toBe(status.INVALID_ARGUMENT);
    expect(bad.details).toMatch(/^fault\.kind: /);
    client.close();
  });
});

describe("serve with remote providers", () => {
  let server: SpawnedServer;
  beforeAll(async () => {
    server = await spawnServe(["--providers", farm.address, "--skus", "sku-a", "--seed-stock", "100"]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("delivers through the farm, and Admin InjectFault reaches the farm", async () => {
    const c = clients(server.address);
    const res = await call(c.dispatch.submitOrder, c.dispatch, {
      idempotencyKey: "remote-1",
      sku: "sku-a",
      tier: CustomerTier.CUSTOMER_TIER_STANDARD,
      waitMode: WaitMode.WAIT_MODE_DELIVERED,
    });
    expect(res.order?.state).toBe(OrderState.ORDER_STATE_DELIVERED);
    expect(["p1", "p2", "p3"]).toContain(res.order?.providerId);

    const auth = bearer(server.adminToken);
    await call(
      c.admin.injectFault,
      c.admin,
      {
        fault: {
          providerId: "p2",
          kind: FaultKind.FAULT_KIND_LATENCY,
          probability: 1,
          latencyMs: 50,
          durationMs: 60_000,
        },
      },
      { metadata: auth },
    );
    const client = farmClient();
    const listed = await call(client.listProviders, client, {});
    expect(listed.providers.find((p) => p.providerId === "p2")?.activeFaults[0]?.kind).toBe(
      FaultKind.FAULT_KIND_LATENCY,
    );
    const snap = await call(c.admin.getSnapshot, c.admin, { includeOperations: false }, { metadata: auth });
    expect(snap.providers.find((p) => p.providerId === "p2")?.activeFaults).toHaveLength(1);
    expect((await call(c.admin.clearFaults, c.admin, { providerId: "" }, { metadata: auth })).cleared).toBe(
      1,
    );
    expect(
      (await call(client.listProviders, client, {})).providers.every((p) => p.activeFaults.length === 0),
    ).toBe(true);
    client.close();
    c.close();
  });
});
