// Root-cause pushes of the incidents that are not a provider's isolation: the retry budget exhausted
// and the overflow route flapping. A live server (in process, real gRPC, a real backup server for the
// overflow) pushes each to a real HTTP receiver once per episode: one POST when it opens, one when it
// closes, however many refused retries or route switches the episode holds.
import { afterEach, describe, expect, it } from "vitest";
import { CustomerTier, OrderState } from "../../proto/gen/rushhour/v1/common.ts";
import { WaitMode } from "../../proto/gen/rushhour/v1/dispatch.ts";
import { type RunningServer, type ServeOptions, startServer } from "../../server/app.ts";
import type { DispatchConfig } from "../../server/core/config.ts";
import type { IncidentPush } from "../../server/notify.ts";
import { resolveConfig } from "../../simulator/configs.ts";
import { receiver } from "../support/webhook-receiver.ts";
import { call, clients } from "./grpc/clients.ts";

const closers: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function serve(config: DispatchConfig, over: Partial<ServeOptions>): Promise<RunningServer> {
  const running = await startServer({
    host: "127.0.0.1",
    port: 0,
    storeUrl: "memory:",
    config,
    preset: "custom",
    providers: { kind: "local", models: [{ id: "p1", p50Ms: 5, p99Ms: 5, capacity: 1000, errorRate: 0 }] },
    metricsPort: null,
    adminToken: "test-admin-token",
    role: "primary",
    seedStock: 5000,
    skus: ["sku-a"],
    ...over,
  });
  closers.push(() => running.close(0));
  return running;
}

function orders(server: RunningServer, prefix: string, n: number): Promise<OrderState[]> {
  const c = clients(server.address);
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      call(c.dispatch.submitOrder, c.dispatch, {
        idempotencyKey: `${prefix}-${i}`,
        sku: "sku-a",
        tier: CustomerTier.CUSTOMER_TIER_STANDARD,
        waitMode: WaitMode.WAIT_MODE_DELIVERED,
      }),
    ),
  ).then((res) => {
    c.close();
    return res.map((r) => r.order?.state ?? OrderState.ORDER_STATE_UNSPECIFIED);
  });
}

const pushes = (hook: Awaited<ReturnType<typeof receiver>>) =>
  hook.requests.map((r) => JSON.parse(r.body) as IncidentPush);

describe("serve --notify: retry budget and overflow flapping", () => {
  it("a retry storm the budget refuses is one push when it starts and one when retries are allowed again", async () => {
    const hook = await receiver();
    closers.push(() => hook.server.close());
    const config = structuredClone(resolveConfig("adaptive"));
    // No isolation to muddle the pushes; room for one retry at a time.
    config.health.enabled = false;
    config.retry = {
      ...config.retry,
      maxAttempts: 3,
      backoff: "fixed",
      baseDelayMs: 200,
      jitter: "none",
      budget: { enabled: true, ratio: 0, minRetries: 1, windowMs: 10_000 },
    };
    const server = await serve(config, { notify: { urls: [hook.url], format: "json" } });
    const fault = { providerId: "p1", kind: "error", probability: 1, latencyMs: 0, durationMs: 0 } as const;
    await server.context.providers.inject(fault);
    const states = await orders(server, "storm", 20);
    expect(states.every((s) => s === OrderState.ORDER_STATE_FAILED)).toBe(true);
    const refused = server.context.dispatcher.snapshot().counters.budgetExhausted;
    expect(refused).toBeGreaterThan(10);
    await server.context.providers.clear("p1");
    // The close comes once the budget has had room and no refusal for 2 s.
    await hook.count(2);
    const [opened, closed] = pushes(hook);
    expect(pushes(hook).map((p) => p.kind)).toEqual(["retry-budget-exhausted", "retry-budget-restored"]);
    expect(opened).toMatchObject({ incident: "retry-budget", provider: "retry-budget", closedAt: null });
    expect(opened!.timeline[0]!.what).toMatch(/^retry refused to order /);
    expect(opened!.likelyCause).toMatch(/provider_error/);
    expect(closed!.incidentId).toBe(opened!.incidentId);
    expect(closed!.outcome).toMatch(
      new RegExp(`^retries allowed again after \\d+ ms \\(${refused} orders failed for want of a retry\\)$`),
    );
    expect((await orders(server, "after", 5)).every((s) => s === OrderState.ORDER_STATE_DELIVERED)).toBe(
      true,
    );
    expect(hook.requests).toHaveLength(2);
  });

  it("an overflow route that flaps is one push when it starts flapping and one when it is stable again", async () => {
    const hook = await receiver();
    closers.push(() => hook.server.close());
    const config = structuredClone(resolveConfig("adaptive"));
    // Three slots; a burst of four orders of 100 ms fills them (overflow on), then they drain (off).
    config.lanes.vip.workers = 1;
    config.lanes.vip.reserve = 0;
    config.lanes.default.workers = 2;
    config.routing = { ...config.routing, minDwellMs: 100, sampleIntervalMs: 10, smoothing: 1 };
    const providers: ServeOptions["providers"] = {
      kind: "local",
      models: [{ id: "p1", p50Ms: 100, p99Ms: 100, capacity: 1000, errorRate: 0 }],
    };
    const backup = await serve(resolveConfig("adaptive"), { role: "backup", providers });
    const primary = await serve(config, {
      providers,
      backup: backup.address,
      notify: { urls: [hook.url], format: "json" },
    });
    for (let burst = 0; burst < 50 && hook.requests.length === 0; burst++) {
      const states = await orders(primary, `burst-${burst}`, 4);
      expect(states.every((s) => s === OrderState.ORDER_STATE_DELIVERED)).toBe(true);
    }
    await hook.count(1);
    // More bursts in the same episode: still one push.
    for (let burst = 50; burst < 55; burst++) await orders(primary, `burst-${burst}`, 4);
    await hook.count(2);
    expect(pushes(hook).map((p) => p.kind)).toEqual(["overflow-flapping", "overflow-settled"]);
    const [opened, closed] = pushes(hook);
    expect(opened).toMatchObject({ incident: "overflow-flapping", provider: "overflow-route" });
    expect(opened!.likelyCause).toMatch(/^5 route switches within 1200 ms \(more than 4\)/);
    expect(closed!.incidentId).toBe(opened!.incidentId);
    expect(closed!.outcome).toMatch(/^route stable for 1200 ms after \d+ more switches$/);
    expect(primary.context.dispatcher.snapshot().counters.routeSwitches).toBeGreaterThan(10);
  });
});
