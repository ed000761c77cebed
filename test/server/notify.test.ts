// Root-cause pushes (serve --notify): a real HTTP receiver on 127.0.0.1 gets the incidents of a live server;
// a receiver that is down or never answers does not stop orders from being delivered.
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CustomerTier, FaultKind, OrderState } from "../../proto/gen/rushhour/v1/common.ts";
import { WaitMode } from "../../proto/gen/rushhour/v1/dispatch.ts";
import { type RunningServer, startServer } from "../../server/app.ts";
import type { IncidentRecord } from "../../server/core/types.ts";
import { formatPush, type IncidentPush, incidentPush } from "../../server/notify.ts";
import { defaultProviders } from "../../server/providers/model.ts";
import { resolveConfig } from "../../simulator/configs.ts";
import { type SpawnedServer, spawnServe } from "../support/spawn.ts";
import { receiver } from "../support/webhook-receiver.ts";
import { bearer, call, clients } from "./grpc/clients.ts";

const fault = (providerId: string) => ({
  fault: { providerId, kind: FaultKind.FAULT_KIND_ERROR, probability: 1, latencyMs: 0, durationMs: 0 },
});

function order(c: ReturnType<typeof clients>, key: string) {
  return call(c.dispatch.submitOrder, c.dispatch, {
    idempotencyKey: key,
    sku: "sku-a",
    tier: CustomerTier.CUSTOMER_TIER_STANDARD,
    waitMode: WaitMode.WAIT_MODE_DELIVERED,
  });
}

/** Orders in batches of 20 until `done()` (at most `max`); returns every order's final state. */
async function trafficUntil(
  c: ReturnType<typeof clients>,
  prefix: string,
  done: () => boolean,
  max: number,
): Promise<OrderState[]> {
  const states: OrderState[] = [];
  while (states.length < max && !done()) {
    const batch = await Promise.all(
      Array.from({ length: 20 }, (_, i) => order(c, `${prefix}-${states.length + i}`)),
    );
    for (const res of batch) states.push(res.order?.state ?? OrderState.ORDER_STATE_UNSPECIFIED);
  }
  return states;
}

const closers: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe("serve --notify", () => {
  it("an isolation during a live run is one POST with the timeline; the readmission is a second", async () => {
    const hook = await receiver();
    closers.push(() => hook.server.close());
    // Short isolations so that the readmission comes within the test's traffic.
    const configFile = join(tmpdir(), `rushhour-notify-${process.pid}.json`);
    writeFileSync(
      configFile,
      JSON.stringify({ extends: "adaptive", health: { isolationBaseMs: 300, isolationMaxMs: 600 } }),
    );
    const server: SpawnedServer = await spawnServe([
      "--skus",
      "sku-a",
      "--seed-stock",
      "5000",
      "--config",
      configFile,
      "--notify",
      hook.url,
    ]);
    closers.push(() => server.stop());
    const c = clients(server.address);
    closers.push(() => c.close());
    const auth = bearer(server.adminToken);

    await call(c.admin.injectFault, c.admin, fault("p1"), { metadata: auth });
    await trafficUntil(c, "iso", () => hook.requests.length > 0, 1000);
    await hook.count(1);
    const isolation = JSON.parse(hook.requests[0]!.body) as IncidentPush;
    expect(isolation.kind).toBe("isolation");
    expect(isolation.provider).toBe("p1");
    expect(isolation.closedAt).toBeNull();
    expect(isolation.timeline.some((t) => t.what.includes("-> ISOLATED"))).toBe(true);
    expect(Date.parse(isolation.timeline[0]!.at)).toBe(Date.parse(isolation.openedAt));
    expect(isolation.likelyCause).not.toBe("unknown");
    expect(hook.requests[0]!.headers["content-type"]).toBe("application/json");
    expect(hook.requests[0]!.url).toBe("/hook/secret-path");

    await call(c.admin.clearFaults, c.admin, { providerId: "p1" }, { metadata: auth });
    await trafficUntil(c, "readmit", () => hook.requests.length > 1, 20_000);
    await hook.count(2);
    const readmission = JSON.parse(hook.requests[1]!.body) as IncidentPush;
    expect(readmission.kind).toBe("readmission");
    expect(readmission.incidentId).toBe(isolation.incidentId);
    expect(readmission.outcome).toMatch(/^recovered after/);
    expect(readmission.timeline.at(-1)?.what).toMatch(/-> HEALTHY/);
    // One incident: one isolation push, one readmission push, nothing else.
    expect(hook.requests.map((r) => (JSON.parse(r.body) as IncidentPush).kind)).toEqual([
      "isolation",
      "readmission",
    ]);
    // Nothing of the admin token leaves the process.
    for (const r of hook.requests) {
      expect(r.body).not.toContain(server.adminToken);
      expect(JSON.stringify(r.headers)).not.toContain(server.adminToken);
      expect(r.headers.authorization).toBeUndefined();
    }
  });

  it("rejects a URL that is not http(s), naming --notify (exit 2)", async () => {
    await expect(spawnServe(["--notify", "ftp://example.com/x"])).rejects.toThrow(
      /exited \(2\)[\s\S]*--notify: "ftp:\/\/example.com\/x" must be an http:\/\/ or https:\/\/ URL/,
    );
    await expect(spawnServe(["--notify", "http://127.0.0.1:1/", "--notify-format", "teams"])).rejects.toThrow(
      /exited \(2\)[\s\S]*--notify-format must be one of json, slack, wecom, feishu/,
    );
  });
});

describe("a webhook that is down or hangs", () => {
  async function serveInProcess(url: string, timeoutMs: number): Promise<RunningServer> {
    const running = await startServer({
      host: "127.0.0.1",
      port: 0,
      storeUrl: "memory:",
      config: resolveConfig("adaptive"),
      preset: "adaptive",
      providers: { kind: "local", models: defaultProviders(4) },
      metricsPort: null,
      adminToken: "test-admin-token",
      role: "primary",
      seedStock: 5000,
      skus: ["sku-a"],
      notify: { urls: [url], format: "json", timeoutMs, maxAttempts: 2, backoffMs: 10, capacity: 1 },
    });
    closers.push(() => running.close(0));
    return running;
  }

  async function deliversWhileFailing(url: string, timeoutMs: number): Promise<void> {
    const server = await serveInProcess(url, timeoutMs);
    const notifier = server.notifier!;
    let isolated = false;
    server.context.dispatcher.onEvent((e) => {
      if (e.kind === "incident") isolated = true;
    });
    let gaveUp = false;
    const failed = once(notifier, "failed").then(() => {
      gaveUp = true;
    });
    const c = clients(server.address);
    closers.push(() => c.close());
    const auth = bearer("test-admin-token");
    await call(c.admin.injectFault, c.admin, fault("p1"), { metadata: auth });
    // Until p1 is isolated some orders fail on it (the fault, not the push): not counted here.
    await trafficUntil(c, "before", () => isolated, 4000);
    expect(isolated).toBe(true);
    // The push is now queued and being tried (and retried): orders go on being delivered meanwhile
    // and after the push was given up on.
    const states = await trafficUntil(c, "during", () => gaveUp, 4000);
    await failed;
    states.push(...(await trafficUntil(c, "after", () => false, 40)));
    expect(states.length).toBeGreaterThanOrEqual(40);
    expect(states.filter((s) => s !== OrderState.ORDER_STATE_DELIVERED)).toEqual([]);
    expect(notifier.stats).toMatchObject({ sent: 0, failed: 1, dropped: 0, queued: 0 });
  }

  it("a closed port: every order is delivered and the push is counted as failed", async () => {
    const closed = createServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, "close");
    await deliversWhileFailing(`http://127.0.0.1:${port}/`, 5000);
  });

  it("a receiver that accepts and never answers: every order is delivered, the push times out", async () => {
    const hanging: Server = createServer(() => {
      // Never answers.
    });
    hanging.listen(0, "127.0.0.1");
    await once(hanging, "listening");
    closers.push(() => {
      hanging.closeAllConnections();
      hanging.close();
    });
    const port = (hanging.address() as AddressInfo).port;
    await deliversWhileFailing(`http://127.0.0.1:${port}/`, 300);
  });
});

describe("webhook bodies", () => {
  const incident: IncidentRecord = {
    id: "incident-1-p2",
    providerId: "p2",
    openedAt: 1000,
    closedAt: null,
    ordersDiverted: 3,
    ordersRetried: 2,
    timeline: [
      { at: 1000, what: "HEALTHY -> ISOLATED: failure rate 80% over 50%" },
      { at: 1100, what: "failure: provider error" },
      { at: 1200, what: "failure: provider error" },
      { at: 1300, what: "failure: timeout" },
    ],
    outcome: null,
  };
  const push = incidentPush(incident, (t) => Date.UTC(2026, 0, 1) + t);

  it("json is the whole incident with ISO times and the most frequent failure as the likely cause", () => {
    expect(formatPush(push, "json")).toEqual({
      kind: "isolation",
      incident: "isolation",
      incidentId: "incident-1-p2",
      provider: "p2",
      openedAt: "2026-01-01T00:00:01.000Z",
      closedAt: null,
      ordersDiverted: 3,
      ordersRetried: 2,
      outcome: null,
      likelyCause: "provider error (2 failures)",
      timeline: [
        { at: "2026-01-01T00:00:01.000Z", what: "HEALTHY -> ISOLATED: failure rate 80% over 50%" },
        { at: "2026-01-01T00:00:01.100Z", what: "failure: provider error" },
        { at: "2026-01-01T00:00:01.200Z", what: "failure: provider error" },
        { at: "2026-01-01T00:00:01.300Z", what: "failure: timeout" },
      ],
    });
  });

  it("without failures the likely cause is the isolating transition's reason", () => {
    const bare = incidentPush({ ...incident, timeline: incident.timeline.slice(0, 1) }, (t) => t);
    expect(bare.likelyCause).toBe("failure rate 80% over 50%");
  });

  it("slack, wecom and feishu carry the same summary in their own shapes", () => {
    const slack = formatPush(push, "slack") as { text: string };
    expect(Object.keys(slack)).toEqual(["text"]);
    expect(slack.text).toContain("provider p2 ISOLATED at 2026-01-01T00:00:01.000Z (incident-1-p2)");
    expect(slack.text).toContain("likely cause: provider error (2 failures)");
    expect(slack.text).toContain("- 2026-01-01T00:00:01.300Z failure: timeout");
    expect(formatPush(push, "wecom")).toEqual({ msgtype: "markdown", markdown: { content: slack.text } });
    expect(formatPush(push, "feishu")).toEqual({ msg_type: "text", content: { text: slack.text } });
  });
});
