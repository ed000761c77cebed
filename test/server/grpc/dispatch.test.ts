// DispatchService over real loopback gRPC against a spawned `rushhour serve` (memory store, local providers).
import { fileURLToPath } from "node:url";
import {
  type ChannelCredentials,
  credentials,
  loadPackageDefinition,
  Metadata,
  makeClientConstructor,
  status,
} from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { service as healthService } from "grpc-health-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CustomerTier, OrderState } from "../../../proto/gen/rushhour/v1/common.ts";
import {
  type DispatchServiceClient,
  WaitMode,
  type WatchOrderResponse,
} from "../../../proto/gen/rushhour/v1/dispatch.ts";
import { type SpawnedServer, spawnServe } from "../../support/spawn.ts";
import { call, clients, failure } from "./clients.ts";

let server: SpawnedServer;
let c: ReturnType<typeof clients>;
let key = 0;
const nextKey = () => `test-key-${process.pid}-${++key}`;

beforeAll(async () => {
  server = await spawnServe(["--skus", "sku-a,sku-b", "--seed-stock", "500"]);
  c = clients(server.address);
});

afterAll(async () => {
  c?.close();
  await server?.stop();
});

const submit = (
  d: DispatchServiceClient,
  req: Partial<Parameters<DispatchServiceClient["submitOrder"]>[0]>,
  deadlineMs?: number,
) =>
  call(
    d.submitOrder,
    d,
    {
      idempotencyKey: nextKey(),
      sku: "sku-a",
      tier: CustomerTier.CUSTOMER_TIER_STANDARD,
      waitMode: WaitMode.WAIT_MODE_DELIVERED,
      ...req,
    },
    deadlineMs === undefined ? {} : { deadlineMs },
  );

describe("SubmitOrder", () => {
  it("delivers a card for a new order", async () => {
    const res = await submit(c.dispatch, {});
    expect(res.replayed).toBe(false);
    expect(res.order?.state).toBe(OrderState.ORDER_STATE_DELIVERED);
    expect(res.order?.cardCode).toMatch(/^GC-/);
    expect(res.order?.attempts).toBeGreaterThanOrEqual(1);
    expect(res.order?.providerId).toMatch(/^p\d$/);
    expect(res.order?.finishedAtUnixMs).toBeGreaterThanOrEqual(res.order!.acceptedAtUnixMs);
  });

  it("returns as soon as recorded with WAIT_MODE_ACCEPTED", async () => {
    const res = await submit(c.dispatch, { waitMode: WaitMode.WAIT_MODE_ACCEPTED });
    expect(res.order?.state).not.toBe(OrderState.ORDER_STATE_DELIVERED);
    expect(res.order?.orderId).not.toBe("");
  });

  it("replays an idempotency key: same order, same card, nothing new", async () => {
    const idempotencyKey = nextKey();
    const first = await submit(c.dispatch, { idempotencyKey });
    const again = await submit(c.dispatch, { idempotencyKey });
    expect(again.replayed).toBe(true);
    expect(again.order?.orderId).toBe(first.order?.orderId);
    expect(again.order?.cardCode).toBe(first.order?.cardCode);
  });

  it("concurrent submits with one key name one order", async () => {
    const idempotencyKey = nextKey();
    const all = await Promise.all(Array.from({ length: 8 }, () => submit(c.dispatch, { idempotencyKey })));
    expect(new Set(all.map((r) => r.order?.orderId)).size).toBe(1);
    expect(all.filter((r) => !r.replayed)).toHaveLength(1);
    const codes = new Set(
      all.filter((r) => r.order?.state === OrderState.ORDER_STATE_DELIVERED).map((r) => r.order?.cardCode),
    );
    expect(codes.size).toBe(1);
  });

  it("answers with the current state just before the client's deadline", async () => {
    // A latency fault keeps the order issuing well past the deadline; the deadline leaves the server room
    // to record the order first on a loaded machine (the reply comes 2-50 ms before it).
    const admin = new Metadata();
    admin.set("authorization", `Bearer ${server.adminToken}`);
    await call(
      c.admin.injectFault,
      c.admin,
      {
        fault: { providerId: "", kind: 3, probability: 1, latencyMs: 8000, durationMs: 0 },
      },
      { metadata: admin },
    );
    try {
      const res = await submit(c.dispatch, {}, 2000);
      // Still running (issuing, or retrying after the core's own timeout on a slow machine), not an error.
      expect([
        OrderState.ORDER_STATE_QUEUED,
        OrderState.ORDER_STATE_ALLOCATING,
        OrderState.ORDER_STATE_ISSUING,
        OrderState.ORDER_STATE_RETRYING,
      ]).toContain(res.order?.state);
    } finally {
      await call(c.admin.clearFaults, c.admin, { providerId: "" }, { metadata: admin });
    }
  });

  const invalid: [string, Record<string, unknown>][] = [
    ["idempotency_key", { idempotencyKey: "" }],
    ["idempotency_key", { idempotencyKey: "x".repeat(129) }],
    ["idempotency_key", { idempotencyKey: "bad\u0001key" }],
    ["sku", { sku: "" }],
    ["sku", { sku: "no spaces allowed" }],
    ["sku", { sku: "sku-unknown" }],
    ["tier", { tier: 7 }],
    ["wait_mode", { waitMode: 9 }],
  ];
  for (const [field, req] of invalid) {
    it(`refuses a bad ${field} (${JSON.stringify(req)}) with INVALID_ARGUMENT naming it`, async () => {
      const err = await failure(submit(c.dispatch, req));
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(err.details).toMatch(new RegExp(`^${field}: `));
    });
  }

  it("refuses an oversize message", async () => {
    const err = await failure(submit(c.dispatch, { idempotencyKey: "k".repeat(5 * 1024 * 1024) }));
    expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
  });
});

describe("GetOrder and WatchOrder", () => {
  it("finds an order by id and by idempotency key", async () => {
    const idempotencyKey = nextKey();
    const sent = await submit(c.dispatch, { idempotencyKey });
    const byId = await call(c.dispatch.getOrder, c.dispatch, { orderId: sent.order!.orderId });
    const byKey = await call(c.dispatch.getOrder, c.dispatch, { idempotencyKey });
    expect(byId.order?.cardCode).toBe(sent.order?.cardCode);
    expect(byKey.order?.orderId).toBe(sent.order?.orderId);
    expect(byKey.order?.state).toBe(OrderState.ORDER_STATE_DELIVERED);
  });

  it("NOT_FOUND for an unknown order, INVALID_ARGUMENT without a key", async () => {
    expect((await failure(call(c.dispatch.getOrder, c.dispatch, { orderId: "nope" }))).code).toBe(
      status.NOT_FOUND,
    );
    const err = await failure(call(c.dispatch.getOrder, c.dispatch, {}));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/^key: /);
  });

  it("streams every state change until the order is terminal", async () => {
    const sent = await submit(c.dispatch, { waitMode: WaitMode.WAIT_MODE_ACCEPTED });
    const seen: WatchOrderResponse[] = [];
    await new Promise<void>((resolve, reject) => {
      const stream = c.dispatch.watchOrder({ orderId: sent.order!.orderId });
      stream.on("data", (m: WatchOrderResponse) => seen.push(m));
      stream.on("end", resolve);
      stream.on("error", reject);
    });
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(seen.at(-1)?.order?.state).toBe(OrderState.ORDER_STATE_DELIVERED);
    expect(seen[0]?.previousState).toBe(OrderState.ORDER_STATE_UNSPECIFIED);
    for (let i = 1; i < seen.length; i++) expect(seen[i]?.previousState).toBe(seen[i - 1]?.order?.state);
  });

  it("WatchOrder without an order id is INVALID_ARGUMENT naming order_id", async () => {
    const err = await new Promise<{ code: number; details: string }>((resolve) => {
      const stream = c.dispatch.watchOrder({ orderId: "" });
      stream.on("data", () => {});
      stream.on("error", resolve);
    });
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/^order_id: /);
  });

  it("WatchOrder of an unknown order ends with NOT_FOUND", async () => {
    const err = await new Promise<{ code: number }>((resolve) => {
      const stream = c.dispatch.watchOrder({ orderId: "missing-order" });
      stream.on("data", () => {});
      stream.on("error", resolve);
    });
    expect(err.code).toBe(status.NOT_FOUND);
  });
});

describe("standard gRPC services", () => {
  it("health reports SERVING for the server and for DispatchService", async () => {
    const Health = makeClientConstructor(healthService, "grpc.health.v1.Health");
    const health = new Health(server.address, credentials.createInsecure()) as unknown as {
      check(req: { service: string }, cb: (err: Error | null, res: { status: string }) => void): void;
      close(): void;
    };
    for (const name of ["", "rushhour.v1.DispatchService"]) {
      const res = await new Promise<{ status: string }>((resolve, reject) =>
        health.check({ service: name }, (err, r) => (err ? reject(err) : resolve(r))),
      );
      expect(res.status).toBe("SERVING");
    }
    health.close();
  });
});

describe("server reflection", () => {
  it("lists the Dispatch, Admin and health services", async () => {
    const definition = loadSync(
      fileURLToPath(
        new URL(
          "../../../node_modules/@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto",
          import.meta.url,
        ),
      ),
      { keepCase: true },
    );
    const pkg = loadPackageDefinition(definition) as unknown as {
      grpc: {
        reflection: { v1: { ServerReflection: new (a: string, c: ChannelCredentials) => ReflectionClient } };
      };
    };
    const client = new pkg.grpc.reflection.v1.ServerReflection(server.address, credentials.createInsecure());
    const names = await new Promise<string[]>((resolve, reject) => {
      const stream = client.ServerReflectionInfo();
      stream.on("data", (m: { list_services_response?: { service: { name: string }[] } }) => {
        resolve(m.list_services_response?.service.map((x) => x.name) ?? []);
        stream.end();
      });
      stream.on("error", reject);
      stream.write({ list_services: "" });
    });
    client.close();
    expect(names).toEqual(
      expect.arrayContaining([
        "rushhour.v1.DispatchService",
        "rushhour.v1.AdminService",
        "grpc.health.v1.Health",
      ]),
    );
  });
});

interface ReflectionClient {
  ServerReflectionInfo(): {
    on(event: string, cb: (m: never) => void): void;
    write(m: unknown): void;
    end(): void;
  };
  close(): void;
}
