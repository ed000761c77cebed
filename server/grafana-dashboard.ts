// The Grafana dashboard for a server's /metrics (server/metrics.ts), built from typed code with Grafana's
// foundation SDK so a panel cannot name a field Grafana does not have. `npm run grafana` writes it to
// docs/grafana/rushhour.json; a test checks the committed file is this builder's output and that every
// metric its queries name is one a running server exposes.

import { writeFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  DashboardBuilder,
  DatasourceVariableBuilder,
  MappingType,
  QueryVariableBuilder,
  RowBuilder,
  VariableRefresh,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { DataqueryBuilder } from "@grafana/grafana-foundation-sdk/prometheus";
import { PanelBuilder as StateTimeline } from "@grafana/grafana-foundation-sdk/statetimeline";
import { PanelBuilder as TimeSeries } from "@grafana/grafana-foundation-sdk/timeseries";

// biome-ignore lint/suspicious/noTemplateCurlyInString: a Grafana variable reference, not a JS template
const DATASOURCE = { type: "prometheus", uid: "${datasource}" };
const RATE = "[$__rate_interval]";
const JOB = '{job=~"$job"}';
/** Adds the dashboard's job filter to a selector's label set. */
const job = (labels = "") => (labels === "" ? JOB : `{job=~"$job",${labels}}`);

const query = (expr: string, legend: string) =>
  new DataqueryBuilder().expr(expr).legendFormat(legend).datasource(DATASOURCE);

function series(title: string, unit: string, targets: [expr: string, legend: string][], description: string) {
  const panel = new TimeSeries().title(title).description(description).unit(unit).height(8).span(12);
  for (const [expr, legend] of targets) panel.withTarget(query(expr, legend));
  return panel.datasource(DATASOURCE);
}

export function buildDashboard(): unknown {
  const p99 = (by: string) =>
    `histogram_quantile(0.99, sum by (${by}, le) (rate(rushhour_order_latency_seconds_bucket${job()}${RATE})))`;
  return new DashboardBuilder("rushhour dispatch")
    .uid("rushhour-dispatch")
    .tags(["rushhour"])
    .refresh("10s")
    .time({ from: "now-30m", to: "now" })
    .withVariable(new DatasourceVariableBuilder("datasource").label("Prometheus").type("prometheus"))
    .withVariable(
      new QueryVariableBuilder("job")
        .label("Job")
        .datasource(DATASOURCE)
        .query("label_values(rushhour_orders_accepted_total, job)")
        .refresh(VariableRefresh.OnTimeRangeChanged)
        .multi(true)
        .includeAll(true)
        .allValue(".*"),
    )
    .withRow(new RowBuilder("Orders"))
    .withPanel(
      series(
        "Throughput by lane",
        "reqps",
        [
          [
            `sum by (lane) (rate(rushhour_order_latency_seconds_count${job('outcome="delivered"')}${RATE}))`,
            "{{lane}}",
          ],
          [`sum(rate(rushhour_orders_failed_total${job()}${RATE}))`, "failed"],
          [`sum(rate(rushhour_orders_rejected_total${job()}${RATE}))`, "rejected"],
        ],
        "Orders delivered per second by lane, and failures and rejections",
      ),
    )
    .withPanel(
      series(
        "P99 latency by lane",
        "s",
        [[p99("lane"), "{{lane}}"]],
        "Submit to terminal state, 99th percentile per lane",
      ),
    )
    .withPanel(
      series(
        "Queue depth",
        "short",
        [
          [`sum by (lane, cluster) (rushhour_lane_queue_depth${job()})`, "{{cluster}}/{{lane}}"],
          [`sum(rushhour_orders_in_flight${job()})`, "in flight"],
        ],
        "Orders waiting per lane and cluster",
      ),
    )
    .withPanel(
      series(
        "Cache hits",
        "reqps",
        [
          [`sum(rate(rushhour_cache_hits_total${job()}${RATE}))`, "served from the pre-issued cache"],
          [`sum(rushhour_prewarm_cache_size${job()})`, "cache size"],
        ],
        "Orders served from pre-issued cards, and the cache's size",
      ),
    )
    .withRow(new RowBuilder("Providers"))
    .withPanel(
      new StateTimeline()
        .title("Provider health")
        .description("1 HEALTHY, 2 SUB_HEALTHY, 3 ISOLATED, 4 PROBING")
        .height(8)
        .span(12)
        .datasource(DATASOURCE)
        .withTarget(query(`max by (provider) (rushhour_provider_health_state${job()})`, "{{provider}}"))
        .mappings([
          {
            type: MappingType.ValueToText,
            options: {
              "1": { text: "HEALTHY", color: "green" },
              "2": { text: "SUB_HEALTHY", color: "yellow" },
              "3": { text: "ISOLATED", color: "red" },
              "4": { text: "PROBING", color: "blue" },
            },
          },
        ]),
    )
    .withPanel(
      series(
        "Isolations and timeouts",
        "short",
        [
          [
            `sum by (provider) (increase(rushhour_provider_isolations_total${job()}${RATE}))`,
            "isolated {{provider}}",
          ],
          [`sum(rate(rushhour_provider_timeouts_total${job()}${RATE}))`, "timeouts/s"],
        ],
        "Provider isolation events and provider call timeouts",
      ),
    )
    .withRow(new RowBuilder("Self-healing and routing"))
    .withPanel(
      series(
        "Retries and the retry budget",
        "reqps",
        [
          [`sum(rate(rushhour_retries_total${job()}${RATE}))`, "retries/s"],
          [`sum(rate(rushhour_retry_budget_exhausted_total${job()}${RATE}))`, "refused by the budget/s"],
          [`max(rushhour_retry_amplification${job()})`, "provider calls per order"],
        ],
        "Retry rate, retries the budget refused, and calls per finished order",
      ),
    )
    .withPanel(
      series(
        "Overflow to the backup",
        "short",
        [
          [`sum(increase(rushhour_route_switches_total${job()}${RATE}))`, "route switches"],
          [`max(rushhour_overflow_active${job()})`, "overflow active"],
          [`max by (cluster) (rushhour_cluster_load${job()})`, "load {{cluster}}"],
        ],
        "Overflow switches, whether overflow is on, and each cluster's load",
      ),
    )
    .withRow(new RowBuilder("Process"))
    .withPanel(
      series(
        "CPU and event loop",
        "percentunit",
        [
          [`rate(process_cpu_seconds_total${job()}${RATE})`, "CPU {{instance}} (cores)"],
          [`rushhour_event_loop_utilisation${job()}`, "event loop {{instance}}"],
        ],
        "Process CPU in cores and event-loop utilisation per server",
      ),
    )
    .withPanel(
      series(
        "Memory",
        "bytes",
        [[`process_resident_memory_bytes${job()}`, "RSS {{instance}}"]],
        "Resident memory per server",
      ),
    )
    .build();
}

/** Metric names a PromQL expression or a label_values() variable query reads. */
export function metricNames(expr: string): string[] {
  const selectors = [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{/g)].map((m) => m[1] as string);
  const labelValues = [...expr.matchAll(/label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)/g)].map(
    (m) => m[1] as string,
  );
  return [...selectors, ...labelValues];
}

/** The committed dashboard file, and its text (what `npm run grafana` writes). */
export const DASHBOARD_FILE = fileURLToPath(new URL("../docs/grafana/rushhour.json", import.meta.url));
export const dashboardText = (): string => `${JSON.stringify(buildDashboard(), null, 2)}\n`;

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(DASHBOARD_FILE, dashboardText());
  console.log(`wrote ${DASHBOARD_FILE}`);
}
