// Prometheus metrics (prom-client) on an HTTP /metrics endpoint: the same figures as GetSnapshot
// (read from the core's snapshot at scrape time) plus latency histograms fed by finished orders.
import { createServer, type Server } from "node:http";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { CoreSnapshot, HealthState, OrderView } from "./core/types.ts";
import type { ProcessStats } from "./process-stats.ts";

const HEALTH_CODE: Record<HealthState, number> = { HEALTHY: 1, SUB_HEALTHY: 2, ISOLATED: 3, PROBING: 4 };
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 20, 30];

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly orderLatency: Histogram<"lane" | "outcome">;
  private readonly providerLatency: Histogram<"provider">;
  private cached: { at: number; snap: CoreSnapshot } | null = null;

  constructor(
    private readonly snapshot: () => CoreSnapshot,
    private readonly process: ProcessStats,
    private readonly inFlightOrders: () => number,
  ) {
    const r = [this.registry];
    // The client library's standard process_* and nodejs_* metrics (CPU, memory, event-loop lag, GC).
    collectDefaultMetrics({ register: this.registry });
    // Three of them are gauges named `_total`, which Prometheus's own lint (promtool check metrics)
    // rejects; their per-type versions (nodejs_active_handles{type=...}, ...) stay.
    for (const name of [
      "nodejs_active_handles_total",
      "nodejs_active_requests_total",
      "nodejs_active_resources_total",
    ])
      this.registry.removeSingleMetric(name);
    const snap = () => this.snap();
    this.orderLatency = new Histogram({
      name: "rushhour_order_latency_seconds",
      help: "Submit to terminal state, per lane and outcome",
      labelNames: ["lane", "outcome"],
      buckets: LATENCY_BUCKETS,
      registers: r,
    });
    this.providerLatency = new Histogram({
      name: "rushhour_order_latency_by_provider_seconds",
      help: "Submit to delivered, per provider of the last attempt",
      labelNames: ["provider"],
      buckets: LATENCY_BUCKETS,
      registers: r,
    });
    const gauge = <L extends string>(
      name: string,
      help: string,
      labelNames: L[],
      fill: (g: Gauge<L>) => void,
    ) =>
      new Gauge<L>({
        name,
        help,
        labelNames,
        registers: r,
        collect() {
          this.reset();
          fill(this);
        },
      });
    gauge("rushhour_lane_queue_depth", "Orders waiting per lane", ["lane", "cluster"], (g) => {
      for (const l of snap().lanes) g.set({ lane: l.lane, cluster: l.cluster }, l.queueDepth);
    });
    gauge("rushhour_lane_in_flight", "Orders holding a worker slot per lane", ["lane", "cluster"], (g) => {
      for (const l of snap().lanes) g.set({ lane: l.lane, cluster: l.cluster }, l.inFlight);
    });
    gauge("rushhour_lane_workers", "Worker slots per lane", ["lane", "cluster"], (g) => {
      for (const l of snap().lanes) g.set({ lane: l.lane, cluster: l.cluster }, l.workers);
    });
    gauge(
      "rushhour_provider_health_state",
      "Provider health: 1 HEALTHY, 2 SUB_HEALTHY, 3 ISOLATED, 4 PROBING",
      ["provider"],
      (g) => {
        for (const p of snap().providers) g.set({ provider: p.providerId }, HEALTH_CODE[p.state] ?? 0);
      },
    );
    gauge("rushhour_provider_weight", "Provider share weight in [0, 1]", ["provider"], (g) => {
      for (const p of snap().providers) g.set({ provider: p.providerId }, p.weight);
    });
    gauge("rushhour_provider_outstanding", "Provider calls in progress", ["provider"], (g) => {
      for (const p of snap().providers) g.set({ provider: p.providerId }, p.outstanding);
    });
    gauge("rushhour_provider_timeout_rate", "Timeout rate in the sliding window", ["provider"], (g) => {
      for (const p of snap().providers) g.set({ provider: p.providerId }, p.timeoutRate);
    });
    gauge("rushhour_cluster_load", "Smoothed busy-slot share per cluster", ["cluster"], (g) => {
      for (const c of snap().clusters) g.set({ cluster: c.cluster }, c.load);
    });
    gauge("rushhour_overflow_active", "1 when new standard orders overflow to the backup", [], (g) => {
      g.set(snap().clusters.some((c) => c.overflowActive) ? 1 : 0);
    });
    // Counts that only grow are Prometheus counters named `_total` (so rate() reads a restart as a
    // reset, not as a fall). The core keeps the totals; each scrape sets the counter to the total.
    const counter = (name: string, help: string, pick: (s: CoreSnapshot) => number) =>
      new Counter({
        name,
        help,
        registers: r,
        collect() {
          this.reset();
          const total = pick(snap());
          if (total > 0) this.inc(total);
        },
      });
    counter("rushhour_orders_accepted_total", "Orders accepted since start", (s) => s.counters.accepted);
    counter("rushhour_orders_delivered_total", "Orders delivered since start", (s) => s.counters.delivered);
    counter("rushhour_orders_failed_total", "Orders failed since start", (s) => s.counters.failed);
    counter("rushhour_orders_rejected_total", "Orders rejected since start", (s) => s.counters.rejected);
    counter(
      "rushhour_route_switches_total",
      "Overflow switches on or off since start",
      (s) => s.counters.routeSwitches,
    );
    counter("rushhour_retries_total", "Retry attempts since start", (s) => s.counters.retries);
    counter(
      "rushhour_retry_budget_exhausted_total",
      "Retries refused by the retry budget since start",
      (s) => s.counters.budgetExhausted,
    );
    counter(
      "rushhour_cache_hits_total",
      "Orders served from the pre-issued cache",
      (s) => s.counters.cacheHits,
    );
    counter("rushhour_provider_timeouts_total", "Provider calls that timed out", (s) => s.counters.timeouts);
    counter(
      "rushhour_duplicate_cards_total",
      "Cards handed to more than one order (must stay 0)",
      (s) => s.counters.duplicateCards,
    );
    new Counter({
      name: "rushhour_provider_isolations_total",
      help: "Times each provider was isolated since start",
      labelNames: ["provider"],
      registers: r,
      collect() {
        this.reset();
        for (const p of snap().providers) this.inc({ provider: p.providerId }, p.isolations);
      },
    });
    const value = (name: string, help: string, pick: (s: CoreSnapshot) => number) =>
      gauge(name, help, [], (g) => g.set(pick(snap())));
    value(
      "rushhour_retry_amplification",
      "Provider calls per finished order",
      (s) => s.counters.retryAmplification,
    );
    value("rushhour_prewarm_cache_size", "Pre-issued cards in the cache", (s) => s.prewarm.cacheSize);
    value(
      "rushhour_prewarm_cache_target",
      "Target size of the pre-issued cache",
      (s) => s.prewarm.cacheTarget,
    );
    gauge("rushhour_hot_sku_share", "Estimated share of recent orders of each hot SKU", ["sku"], (g) => {
      for (const h of snap().hotSkus) g.set({ sku: h.sku }, h.share);
    });
    gauge("rushhour_orders_in_flight", "Orders accepted and not yet terminal", [], (g) =>
      g.set(this.inFlightOrders()),
    );
    gauge("rushhour_process_cpu_utilisation", "Process CPU over the last second, in cores", [], (g) =>
      g.set(this.process.cpuUtilisation),
    );
    gauge("rushhour_event_loop_utilisation", "Event-loop utilisation over the last second", [], (g) =>
      g.set(this.process.eventLoopUtilisation),
    );
  }

  /** One snapshot per scrape, however many gauges read it. */
  private snap(): CoreSnapshot {
    const now = Date.now();
    if (this.cached === null || now - this.cached.at > 100) this.cached = { at: now, snap: this.snapshot() };
    return this.cached.snap;
  }

  observe(view: OrderView): void {
    const seconds = view.timings.totalMs / 1000;
    this.orderLatency.observe({ lane: view.lane ?? "none", outcome: view.state.toLowerCase() }, seconds);
    if (view.state === "DELIVERED" && view.providerId)
      this.providerLatency.observe({ provider: view.providerId }, seconds);
  }

  /** Serves /metrics; resolves with the bound port. */
  listen(host: string, port: number): Promise<{ port: number; server: Server }> {
    const server = createServer((req, res) => {
      if (req.method === "GET" && (req.url === "/metrics" || req.url?.startsWith("/metrics?"))) {
        this.registry.metrics().then(
          (body) => {
            res.writeHead(200, { "content-type": this.registry.contentType });
            res.end(body);
          },
          (err: unknown) => {
            res.writeHead(500, { "content-type": "text/plain" });
            res.end(String(err));
          },
        );
        return;
      }
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found; try /metrics\n");
    });
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        const address = server.address();
        resolve({ port: typeof address === "object" && address ? address.port : port, server });
      });
    });
  }
}
