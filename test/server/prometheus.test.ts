// /metrics as Prometheus itself reads it: `promtool check metrics` finds nothing to complain about on a
// live server's exposition, and a real Prometheus server scraping it answers a rate() query over the
// delivered-orders counter (a gauge without `_total` would lint, and rate() would misread a restart).
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CustomerTier } from "../../proto/gen/rushhour/v1/common.ts";
import { WaitMode } from "../../proto/gen/rushhour/v1/dispatch.ts";
import { DASHBOARD_FILE, dashboardText, metricNames } from "../../server/grafana-dashboard.ts";
import { type SpawnedServer, spawnServe } from "../support/spawn.ts";
import { call, clients } from "./grpc/clients.ts";

const dir = mkdtempSync(join(tmpdir(), "rushhour-prometheus-"));
const children: ChildProcess[] = [];
const servers: SpawnedServer[] = [];

afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  await Promise.all(servers.map((s) => s.kill()));
  rmSync(dir, { recursive: true, force: true });
});

/** A port free right now (Prometheus cannot report the port it bound for :0). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      const port = typeof address === "object" && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

async function startServer(): Promise<SpawnedServer> {
  const s = await spawnServe(["--metrics-port", "0", "--skus", "sku-a", "--seed-stock", "100000"]);
  servers.push(s);
  return s;
}

async function submit(address: string, n: number, prefix: string): Promise<void> {
  const c = clients(address);
  for (let i = 0; i < n; i++)
    await call(c.dispatch.submitOrder, c.dispatch, {
      idempotencyKey: `${prefix}-${i}`,
      sku: "sku-a",
      tier: CustomerTier.CUSTOMER_TIER_STANDARD,
      waitMode: WaitMode.WAIT_MODE_DELIVERED,
    });
  c.close();
}

describe("Prometheus conventions", () => {
  it("promtool check metrics is clean on a live /metrics", async () => {
    const s = await startServer();
    await submit(s.address, 5, "lint");
    const text = await (await fetch(`http://127.0.0.1:${s.metricsPort}/metrics`)).text();
    expect(text).toMatch(/^rushhour_orders_delivered_total 5$/m);
    const lint = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    expect(lint.error).toBeUndefined();
    expect(`${lint.stdout}${lint.stderr}`.trim()).toBe("");
    expect(lint.status).toBe(0);
  });

  it("a real Prometheus scraping the server answers rate(rushhour_orders_delivered_total[1m])", async () => {
    const s = await startServer();
    const port = await freePort();
    const config = join(dir, "prometheus.yml");
    writeFileSync(
      config,
      [
        "global:",
        "  scrape_interval: 1s",
        "scrape_configs:",
        "  - job_name: rushhour",
        "    static_configs:",
        `      - targets: ["127.0.0.1:${s.metricsPort}"]`,
        "",
      ].join("\n"),
    );
    const prometheus = spawn(
      "prometheus",
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, "tsdb")}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: "ignore" },
    );
    children.push(prometheus);
    const query = `http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(
      'rate(rushhour_orders_delivered_total{job="rushhour"}[1m])',
    )}`;
    // Keep orders flowing and ask until two scrapes have seen the counter grow; the test's own
    // timeout bounds the wait (no sleep decides the outcome).
    let rate = 0;
    for (let round = 0; rate <= 0; round++) {
      await submit(s.address, 20, `scrape-${round}`);
      const answer = await fetch(query).then(
        (r) => (r.ok ? (r.json() as Promise<PrometheusAnswer>) : null),
        () => null,
      );
      const sample = answer?.data.result[0]?.value[1];
      if (sample !== undefined) rate = Number(sample);
      if (rate <= 0) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(rate).toBeGreaterThan(0);
  }, 60_000);
});

describe("the Grafana dashboard (docs/grafana/rushhour.json)", () => {
  it("is the typed builder's output (regenerate with npm run grafana)", () => {
    expect(readFileSync(DASHBOARD_FILE, "utf8")).toBe(dashboardText());
  });

  it("queries only metrics a running server exposes", async () => {
    const s = await startServer();
    await submit(s.address, 3, "dash");
    const text = await (await fetch(`http://127.0.0.1:${s.metricsPort}/metrics`)).text();
    const exposed = new Set(
      text
        .split("\n")
        .filter((line) => line !== "" && !line.startsWith("#"))
        .map((line) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0] ?? ""),
    );
    const dashboard = JSON.parse(dashboardText()) as DashboardJson;
    const queries = [
      ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
      ...dashboard.templating.list.flatMap((v) =>
        v.type === "query" && typeof v.query === "string" ? [v.query] : [],
      ),
    ];
    expect(queries.length).toBeGreaterThanOrEqual(15);
    expect(queries.filter((q) => metricNames(q).length === 0)).toEqual([]);
    const named = queries.flatMap(metricNames);
    expect(named.filter((name) => !exposed.has(name))).toEqual([]);
  });
});

interface DashboardJson {
  panels: { targets?: { expr: string }[] }[];
  templating: { list: { type: string; query?: unknown }[] };
}

interface PrometheusAnswer {
  status: string;
  data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}
