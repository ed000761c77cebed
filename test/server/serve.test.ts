// The serve process as a whole: /metrics, graceful shutdown with drain, backup overflow, CLI errors.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "../../cli/command.ts";
import { serveCommand } from "../../cli/commands/serve.ts";
import { Cluster, CustomerTier, FaultKind, Lane, OrderState } from "../../proto/gen/rushhour/v1/common.ts";
import { WaitMode } from "../../proto/gen/rushhour/v1/dispatch.ts";
import { openStore } from "../../server/store/open.ts";
import { type SpawnedServer, spawnServe } from "../support/spawn.ts";
import { bearer, call, clients } from "./grpc/clients.ts";

const dir = mkdtempSync(join(tmpdir(), "rushhour-serve-"));
const started: SpawnedServer[] = [];
const serve = async (args: string[]) => {
  const s = await spawnServe(args);
  started.push(s);
  return s;
};

afterAll(async () => {
  await Promise.all(started.map((s) => s.kill()));
  rmSync(dir, { recursive: true, force: true });
});

const order = (key: string, tier = CustomerTier.CUSTOMER_TIER_STANDARD) => ({
  idempotencyKey: key,
  sku: "sku-a",
  tier,
  waitMode: WaitMode.WAIT_MODE_DELIVERED,
});

describe("rushhour serve", () => {
  it("serves Prometheus metrics with lane, provider, latency and process figures", async () => {
    const s = await serve(["--metrics-port", "0", "--skus", "sku-a", "--seed-stock", "100"]);
    const c = clients(s.address);
    for (let i = 0; i < 5; i++) await call(c.dispatch.submitOrder, c.dispatch, order(`m-${i}`));
    c.close();
    const text = await (await fetch(`http://127.0.0.1:${s.metricsPort}/metrics`)).text();
    for (const name of [
      "rushhour_lane_queue_depth{",
      "rushhour_lane_in_flight{",
      'rushhour_provider_health_state{provider="p1"} 1',
      "rushhour_order_latency_seconds_bucket{",
      "rushhour_order_latency_by_provider_seconds_bucket{",
      "# TYPE rushhour_orders_delivered_total counter",
      "rushhour_route_switches_total ",
      "rushhour_retries_total ",
      "rushhour_cache_hits_total ",
      "process_cpu_seconds_total ",
      "nodejs_eventloop_lag_seconds ",
      "rushhour_process_cpu_utilisation ",
      "rushhour_event_loop_utilisation ",
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toMatch(/^rushhour_orders_delivered_total 5$/m);
    expect((await fetch(`http://127.0.0.1:${s.metricsPort}/other`)).status).toBe(404);
  });

  it("on SIGTERM lets in-flight orders finish, then exits 0", async () => {
    const s = await serve([
      "--store",
      `sqlite:${join(dir, "drain.db")}`,
      "--skus",
      "sku-a",
      "--seed-stock",
      "100",
    ]);
    const c = clients(s.address);
    await call(
      c.admin.injectFault,
      c.admin,
      {
        fault: {
          providerId: "",
          kind: FaultKind.FAULT_KIND_LATENCY,
          probability: 1,
          latencyMs: 500,
          durationMs: 0,
        },
      },
      { metadata: bearer(s.adminToken) },
    );
    const inFlight = call(c.dispatch.submitOrder, c.dispatch, order("drain-1"));
    // SIGTERM once the order waits on its provider (an event, not a pause).
    for (;;) {
      const found = await call(c.dispatch.getOrder, c.dispatch, { idempotencyKey: "drain-1" }).catch(
        () => null,
      );
      if (found?.order?.state === OrderState.ORDER_STATE_ISSUING) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const signalledAt = Date.now();
    const exited = s.stop();
    const res = await inFlight;
    expect(res.order?.state).toBe(OrderState.ORDER_STATE_DELIVERED);
    // It finished after the signal: the drain let it finish (the test cannot pass without one).
    expect(Number(res.order?.finishedAtUnixMs)).toBeGreaterThanOrEqual(signalledAt);
    expect(await exited).toBe(0);
    c.close();
  });

  it("copies a running order's claimed card to the ledger before the order ends", async () => {
    const file = join(dir, "card.db");
    // Providers that never answer and a core that waits 10 minutes for them: the order stays ISSUING
    // until the test ends, so what the ledger holds meanwhile is read without racing the order.
    const configFile = join(dir, "long-timeout.json");
    writeFileSync(configFile, JSON.stringify({ provider: { timeoutMs: 600_000 } }));
    const s = await serve([
      "--store",
      `sqlite:${file}`,
      "--config",
      configFile,
      "--skus",
      "sku-a",
      "--seed-stock",
      "20",
    ]);
    const c = clients(s.address);
    await call(
      c.admin.injectFault,
      c.admin,
      {
        fault: {
          providerId: "",
          kind: FaultKind.FAULT_KIND_BLACKHOLE,
          probability: 1,
          latencyMs: 0,
          durationMs: 0,
        },
      },
      { metadata: bearer(s.adminToken) },
    );
    const sent = await call(c.dispatch.submitOrder, c.dispatch, {
      ...order("card-1"),
      waitMode: WaitMode.WAIT_MODE_ACCEPTED,
    });
    const store = await openStore(`sqlite:${file}`);
    try {
      let row = await store.getOrder(sent.order!.orderId);
      while (row?.cardId == null) {
        await new Promise((r) => setTimeout(r, 20));
        row = await store.getOrder(sent.order!.orderId);
      }
      expect(row.state).not.toBe("DELIVERED");
      const done = await call(c.dispatch.getOrder, c.dispatch, { orderId: sent.order!.orderId });
      expect(done.order?.state).toBe(OrderState.ORDER_STATE_ISSUING);
    } finally {
      await store.close();
      c.close();
    }
  });

  it("forwards overflow orders to a backup server", async () => {
    const backup = await serve(["--role", "backup", "--skus", "sku-a", "--seed-stock", "100"]);
    const configFile = join(dir, "always-overflow.json");
    // Overflow from the first load sample on: every standard order goes to the backup.
    writeFileSync(
      configFile,
      JSON.stringify({ routing: { highWatermark: 0, lowWatermark: 0, minDwellMs: 0 } }),
    );
    const primary = await serve([
      "--backup",
      backup.address,
      "--config",
      configFile,
      "--skus",
      "sku-a",
      "--seed-stock",
      "100",
    ]);
    const c = clients(primary.address);
    let overflowed = null;
    // Until the first load sample has switched overflow on (an event; the test's timeout bounds it).
    for (let i = 0; overflowed === null; i++) {
      const res = await call(c.dispatch.submitOrder, c.dispatch, order(`ov-${i}`));
      if (res.order?.lane === Lane.LANE_OVERFLOW) overflowed = res.order;
      else await new Promise((r) => setTimeout(r, 50));
    }
    expect(overflowed?.state).toBe(OrderState.ORDER_STATE_DELIVERED);
    expect(overflowed?.cluster).toBe(Cluster.CLUSTER_BACKUP);
    expect(overflowed?.cardCode).toMatch(/^GC-/);
    const snap = await call(
      backupAdmin(backup).admin.getSnapshot,
      backupAdmin(backup).admin,
      { includeOperations: false },
      { metadata: bearer(backup.adminToken) },
    );
    expect(snap.role).toBe("backup");
    expect(snap.counters?.delivered).toBeGreaterThanOrEqual(1);
    c.close();
  });

  it("refuses bad flags with a usage error naming the flag", async () => {
    const cases: [string[], RegExp][] = [
      [["--port", "70000"], /--port must be a whole number/],
      [["--store", "mysql://x"], /--store: bad store URL/],
      [["--role", "leader"], /--role must be primary or backup/],
      [["--backup", "nohostport"], /--backup must be HOST:PORT/],
      [["--config", join(dir, "missing.json")], /--config: no configuration .*: not a preset/],
      [["--providers", "local:/nonexistent.json"], /cannot read provider spec/],
      [["--skus", "a b"], /--skus: "a b" is not a SKU/],
      [["--bogus"], /Unknown option/],
    ];
    for (const [args, message] of cases) {
      await expect(serveCommand.run(args), args.join(" ")).rejects.toThrow(message);
      await expect(serveCommand.run(args)).rejects.toBeInstanceOf(UsageError);
    }
  });

  it("exits 1 with one clear line when the provider farm cannot be reached", () => {
    const r = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "cli/main.ts",
        "serve",
        "--port",
        "0",
        "--store",
        "memory:",
        "--providers",
        "127.0.0.1:1",
      ],
      { encoding: "utf8" },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/rushhour serve: cannot start: provider farm 127\.0\.0\.1:1 did not answer/);
  });

  it("names every wrong field of a bad --config file, and exits 2", () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ lanes: { default: { workers: -3 } }, provider: { timeoutMs: 0 } }));
    const r = spawnSync(process.execPath, ["--import", "tsx", "cli/main.ts", "serve", "--config", bad], {
      encoding: "utf8",
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("lanes.default.workers");
    expect(r.stderr).toContain("provider.timeoutMs");
  });
});

const adminClients = new Map<string, ReturnType<typeof clients>>();
function backupAdmin(s: SpawnedServer) {
  let c = adminClients.get(s.address);
  if (!c) {
    c = clients(s.address);
    adminClients.set(s.address, c);
  }
  return c;
}
