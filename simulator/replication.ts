// One replication: a scenario's traffic through the real dispatch core (a primary and a backup
// cluster sharing one card store and one provider farm) in virtual time, collected per window.

import { businessCounters, businessWindow } from "../results/business.ts";
import { LatencyHistogram } from "../results/histogram.ts";
import type { PointSummary, RunCounters, RunEvent, RunWindow } from "../results/run-result.ts";
import { recordStages } from "../results/stages.ts";
import type { Scenario } from "../scenarios/define.ts";
import { loadDemandHistory } from "../scenarios/demand.ts";
import { objectiveOf, perDayBasis } from "../scenarios/objective.ts";
import type { ClusterSpec, Traffic } from "../scenarios/schema.ts";
import { type DispatchConfig, withWorkers } from "../server/core/config.ts";
import { createDispatcher } from "../server/core/dispatcher.ts";
import type { OverflowPort } from "../server/core/ports.ts";
import type { ClusterName, CoreEvent, OrderView } from "../server/core/types.ts";
import { totalDuration } from "../traffic/profile.ts";
import { SimBusiness } from "./business-rows.ts";
import { VirtualEnvironment } from "./kernel/virtual-env.ts";
import { ArrivalProcess } from "./models/arrivals.ts";
import { SimCardStore } from "./models/card-store.ts";
import { CpuModel } from "./models/cpu.ts";
import { OrderMix } from "./models/order-mix.ts";
import { SimProviders } from "./models/providers.ts";
import { ReplayArrivals } from "./models/replay-arrivals.ts";
import { SimNotify, SimRisk } from "./models/stages.ts";

export interface ReplicationInput {
  scenario: Scenario;
  traffic: Traffic;
  cluster: ClusterSpec;
  config: DispatchConfig;
  seed: number;
  /** Keep the window series and events (only the first replication needs them). */
  detailed: boolean;
  /** Called after every window with simulated ms done and the total. */
  onProgress?: (doneMs: number, totalMs: number) => void;
  /** Called with every order's terminal view (validation tests read stage timings from it). */
  onTerminal?: (view: OrderView) => void;
}

export interface ReplicationOutput {
  windows: RunWindow[];
  events: RunEvent[];
  overall: LatencyHistogram;
  byLane: Map<string, LatencyHistogram>;
  byCohort: Map<string, LatencyHistogram>;
  /** Delivered orders' latency by stage (results/stages.ts). */
  byStage: Map<string, LatencyHistogram>;
  counters: RunCounters;
  summary: PointSummary;
  durationMs: number;
  eventsExecuted: number;
  /** Cards the store still holds for an owner at the end (REVIEW orders, cache slots, unfinished orders). */
  cardsHeld: number;
}

/** Events kept per replication at most (a flapping router must not grow memory without bound). */
const MAX_EVENTS = 5000;

const LANES = ["vip", "default", "overflow", "none"] as const;
const LANE_INDEX: Record<string, number> = { vip: 0, default: 1, overflow: 2, none: 3 };

export function runReplication(input: ReplicationInput): ReplicationOutput {
  const { scenario, traffic, cluster, config, seed } = input;
  const env = new VirtualEnvironment(seed);
  const store = new SimCardStore(
    env,
    scenario.store === undefined ? { latencyMs: null } : { latencyMs: 0, rowLock: scenario.store },
  );
  const windowMs = scenario.window;
  const trafficMs = totalDuration(traffic);
  const endMs = trafficMs + scenario.drain;
  // Each cluster's cores serve its orders' CPU: the wrapped ports and listeners below make an order
  // wait for it (models/cpu.ts).
  const cpu = new CpuModel(env, cluster, windowMs, endMs);
  // A service latency a calibration measured at several rates is drawn at the primary's arrival rate: one
  // server was measured, and the backup takes the primary's overflow.
  const rate = () => cpu.rate("primary");
  const providers = new SimProviders(env, scenario.providers, scenario.faults, rate);
  const providerIds = scenario.providers.map((p) => p.id);
  // The risk and notification services, shared by both clusters like the provider farm.
  const risk =
    scenario.risk === undefined
      ? undefined
      : { id: scenario.risk.id, port: new SimRisk(env, scenario.risk, scenario.faults, rate) };
  const notify =
    scenario.notification === undefined
      ? undefined
      : {
          id: scenario.notification.id,
          port: new SimNotify(env, scenario.notification, scenario.faults, rate),
        };

  // Each cluster's core reads the services' answers on its own event loop.
  const services = (c: ClusterName) => ({
    ...(risk === undefined ? {} : { risk: { id: risk.id, port: cpu.risk(c, risk.port) } }),
    ...(notify === undefined ? {} : { notify: { id: notify.id, port: cpu.notify(c, notify.port) } }),
  });
  const backup = createDispatcher({
    env,
    config: withWorkers(config, cluster.backup.workers),
    store,
    providers: { ids: providerIds, port: cpu.providers("backup", providers) },
    ...services("backup"),
    cluster: "backup",
    // The listeners below read each view and keep only terminal ones, which never change again.
    liveViews: true,
  });
  const overflow: OverflowPort = {
    forward(order, done) {
      env.schedule(cluster.hopMs, () => {
        const listener = cpu.listener("backup", env.now(), (view, _arrivedAt, doneAt) =>
          env.schedule(doneAt - env.now() + cluster.hopMs, () => done(view)),
        );
        cpu.acceptAt("backup", () => backup.submit(order, listener));
      });
    },
  };
  const primary = createDispatcher({
    env,
    config: withWorkers(config, cluster.primary.workers),
    store,
    providers: { ids: providerIds, port: cpu.providers("primary", providers) },
    ...(cluster.backupDeployed ? { overflow } : {}),
    ...services("primary"),
    cluster: "primary",
    liveViews: true,
  });
  if (scenario.demandHistory !== undefined) {
    const history = loadDemandHistory(scenario.demandHistory, seed, scenario.file);
    primary.loadDemandHistory(history);
    backup.loadDemandHistory(history);
  }

  // ---- collection ----
  const overall = LatencyHistogram.create();
  const byLane = new Map<string, LatencyHistogram>();
  const byCohort = new Map<string, LatencyHistogram>();
  const byStage = new Map<string, LatencyHistogram>();
  const byLaneTier: (LatencyHistogram | undefined)[] = [];
  const windowHist = LatencyHistogram.create();
  const histOf = (map: Map<string, LatencyHistogram>, key: string) => {
    let h = map.get(key);
    if (h === undefined) {
      h = LatencyHistogram.create();
      map.set(key, h);
    }
    return h;
  };
  const total = { submitted: 0, delivered: 0, failed: 0, rejected: 0, denied: 0, review: 0 };
  const stageMs = { risk: 0, notify: 0 };
  const win = { submitted: 0, delivered: 0, failed: 0, rejected: 0 };
  const events: RunEvent[] = [];
  const detailed = input.detailed;
  const onTerminal = input.onTerminal;
  const business = new SimBusiness(objectiveOf(scenario), windowMs);

  // Replies the CPU serves after the current window ends, booked in the window they reach the client.
  let windowEnd = 0;
  const later: { view: OrderView; arrivedAt: number; doneAt: number }[] = [];
  /** An order's terminal view: its client has it at `doneAt` (after the reply's CPU). */
  const onDone = (view: OrderView, arrivedAt: number, doneAt: number) => {
    if (doneAt > windowEnd) later.push({ view, arrivedAt, doneAt });
    else book(view, doneAt - arrivedAt);
  };
  const bookLater = () => {
    let kept = 0;
    for (const r of later) {
      if (r.doneAt > windowEnd) later[kept++] = r;
      else book(r.view, r.doneAt - r.arrivedAt);
    }
    later.length = kept;
  };
  const book = (view: OrderView, ms: number) => {
    const state = view.state;
    business.observe(view, ms);
    onTerminal?.(view);
    stageMs.risk += view.timings.riskMs ?? 0;
    stageMs.notify += view.timings.notifyMs ?? 0;
    if (state === "DELIVERED") {
      // One whole-run record per order, by (lane, tier); lanes, cohorts and the overall histogram are
      // merged from these at the end (recording is most of the collection cost).
      windowHist.record(ms);
      const slot = (LANE_INDEX[view.lane ?? "none"] ?? 3) * 2 + (view.tier === "vip" ? 1 : 0);
      let h = byLaneTier[slot];
      if (h === undefined) {
        h = LatencyHistogram.create();
        byLaneTier[slot] = h;
      }
      h.record(ms);
      recordStages(byStage, ms, view.timings);
      total.delivered++;
      win.delivered++;
    } else if (state === "FAILED") {
      total.failed++;
      win.failed++;
    } else if (state === "DENIED") {
      total.denied++;
    } else if (state === "REVIEW") {
      total.review++;
    } else {
      total.rejected++;
      win.rejected++;
    }
  };

  const toEvent = (cluster: ClusterName) => (e: CoreEvent) => {
    if (!detailed || events.length >= MAX_EVENTS) return;
    if (events.length === MAX_EVENTS - 1) {
      events.push({
        t: round(e.at / 1000, 3),
        kind: "note",
        message: `event log full: later events dropped`,
      });
      return;
    }
    events.push(coreEventToRunEvent(e, cluster));
  };
  primary.onEvent(toEvent("primary"));
  backup.onEvent(toEvent("backup"));
  primary.onEvent(business.listener("primary"));
  backup.onEvent(business.listener("backup"));

  const finished = () => total.delivered + total.failed + total.rejected + total.denied + total.review;

  // ---- arrivals ----
  // A replay's orders come from its log (SKU and tier too); the mix's streams are then left unused.
  const replay = traffic.executor === "replay" ? new ReplayArrivals(traffic) : null;
  const arrivals = replay ?? new ArrivalProcess(traffic, env.random("arrivals"));
  const mix = new OrderMix(
    {
      skuCount: scenario.skus.count,
      zipfExponent: scenario.skus.zipfExponent,
      hotspots: scenario.skus.hotspots,
      vipShare: scenario.vipShare,
      vipSurges: scenario.vipSurges,
      priceCents: scenario.skus.priceCents,
    },
    env.random("sku-mix"),
    env.random("vip"),
  );
  let orderSeq = 0;
  const arrive = () => {
    const now = env.now();
    const id = `o${++orderSeq}`;
    total.submitted++;
    win.submitted++;
    const sku = replay ? replay.sku : mix.sku(now);
    const tier = replay ? replay.tier : mix.tier(now);
    const order = { orderId: id, sku, tier, amountCents: mix.priceOf(sku) };
    const listener = cpu.listener("primary", now, onDone);
    cpu.arrive(() => primary.submit(order, listener));
    scheduleNext();
  };
  const scheduleNext = () => {
    const t = arrivals.next();
    if (t < trafficMs) env.schedule(t - env.now(), arrive);
  };
  scheduleNext();

  // ---- windows ----
  const windows: RunWindow[] = [];
  const peaks = { throughput: 0, cpu: { primary: 0, backup: 0 } as Record<ClusterName, number> };
  let lastRetries = 0;
  let lastSwitches = 0;
  const closeWindow = (t0: number, lengthMs: number) => {
    const p = primary.snapshot();
    const b = backup.snapshot();
    const queueDepth: Record<string, number> = { vip: 0, default: 0, overflow: 0 };
    for (const lane of p.lanes) {
      queueDepth[lane.lane] = (queueDepth[lane.lane] ?? 0) + lane.queueDepth;
    }
    for (const lane of b.lanes) {
      queueDepth.overflow = (queueDepth.overflow ?? 0) + lane.queueDepth;
    }
    const util = cpu.utilisation(t0, lengthMs);
    const retries = p.counters.retries + b.counters.retries;
    const switches = p.counters.routeSwitches;
    const seconds = lengthMs / 1000;
    const throughput = win.delivered / seconds;
    if (throughput > peaks.throughput) peaks.throughput = throughput;
    if (util.primary > peaks.cpu.primary) peaks.cpu.primary = util.primary;
    if (util.backup > peaks.cpu.backup) peaks.cpu.backup = util.backup;
    if (detailed) {
      windows.push({
        t: round(t0 / 1000),
        throughput: round(throughput),
        offeredRate: round(win.submitted / seconds),
        p50: windowHist.percentile(50),
        p95: windowHist.percentile(95),
        p99: windowHist.percentile(99),
        max: windowHist.max,
        submitted: win.submitted,
        delivered: win.delivered,
        errors: win.failed,
        rejected: win.rejected,
        dropped: 0,
        retries: retries - lastRetries,
        routeSwitches: switches - lastSwitches,
        queueDepth,
        inFlight: total.submitted - finished(),
        cpu: { primary: round(util.primary), backup: round(util.backup) },
        overflowActive: p.clusters.some((c) => c.overflowActive),
        providers: p.providers.map((pr) => ({
          id: pr.providerId,
          state: pr.state,
          weight: round(pr.weight),
          outstanding: pr.outstanding,
        })),
      });
    }
    business.closeWindow();
    lastRetries = retries;
    lastSwitches = switches;
    windowHist.reset();
    win.submitted = 0;
    win.delivered = 0;
    win.failed = 0;
    win.rejected = 0;
  };

  for (let t0 = 0; t0 < endMs; t0 += windowMs) {
    const t1 = Math.min(endMs, t0 + windowMs);
    windowEnd = t1;
    env.runUntil(t1);
    if (later.length > 0) bookLater();
    closeWindow(t0, t1 - t0);
    input.onProgress?.(t1, endMs);
  }

  byLaneTier.forEach((h, slot) => {
    if (h === undefined) return;
    histOf(byLane, LANES[slot >> 1]!).merge(h);
    histOf(byCohort, slot & 1 ? "vip" : "standard").merge(h);
    overall.merge(h);
  });
  // Histograms leave a replication in their decoded form: an HDR encoding depends on the internal
  // array sizes as well as the counts, so this makes results identical whether the replication ran in
  // this thread or on a worker (whose histograms cross as encodings).
  const canonical = (m: Map<string, LatencyHistogram>) => {
    for (const [k, h] of m) m.set(k, LatencyHistogram.decode(h.encode()));
  };
  canonical(byLane);
  canonical(byCohort);
  canonical(byStage);
  const overallOut = LatencyHistogram.decode(overall.encode());
  const p = primary.snapshot();
  const b = backup.snapshot();
  primary.stop();
  backup.stop();

  const unfinished = total.submitted - finished();
  const rows = business.finish(
    { endMs, trafficMs, submitted: total.submitted, unfinished },
    perDayBasis(scenario, traffic),
  );
  if (detailed) for (const [i, w] of windows.entries()) Object.assign(w, businessWindow(rows.windows[i]!));
  const counters: RunCounters = {
    submitted: total.submitted,
    delivered: total.delivered,
    failed: total.failed,
    rejected: total.rejected,
    retried: p.counters.retries + b.counters.retries,
    dropped: 0,
    duplicateCards: store.duplicates + p.counters.duplicateCards + b.counters.duplicateCards,
    cacheHits: p.counters.cacheHits + b.counters.cacheHits,
    routeSwitches: p.counters.routeSwitches,
    timeouts: p.counters.timeouts + b.counters.timeouts,
    unfinished,
    ...businessCounters(rows.total),
  };
  // Only runs with a risk stage carry its counts (runs without one stay as they were).
  if (risk !== undefined) {
    counters.denied = total.denied;
    counters.review = total.review;
    counters.riskMs = round(stageMs.risk, 3);
  }
  if (notify !== undefined) counters.notifyMs = round(stageMs.notify, 3);
  const summary: PointSummary = {
    throughputPeak: round(peaks.throughput),
    throughputMean: round(total.delivered / (trafficMs / 1000)),
    p50: overall.percentile(50),
    p95: overall.percentile(95),
    p99: overall.percentile(99),
    p999: overall.percentile(99.9),
    max: overall.max,
    cpuPeak: { primary: round(peaks.cpu.primary), backup: round(peaks.cpu.backup) },
    errorRate:
      total.submitted === 0 ? 0 : round((total.failed + total.rejected + unfinished) / total.submitted, 6),
    retries: counters.retried,
    ...rows.point,
  };
  return {
    windows,
    events,
    overall: overallOut,
    byLane,
    byCohort,
    byStage,
    counters,
    summary,
    durationMs: endMs,
    eventsExecuted: env.executed,
    cardsHeld: store.heldCount,
  };
}

function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function coreEventToRunEvent(e: CoreEvent, cluster: ClusterName): RunEvent {
  const t = round(e.at / 1000, 3);
  const where = cluster === "primary" ? "" : ` (${cluster})`;
  switch (e.kind) {
    case "health":
      return {
        t,
        kind: "health",
        message: `${e.providerId}: ${e.from} -> ${e.to}${where} (${e.reason})`,
        providerId: e.providerId,
        from: e.from,
        to: e.to,
        data: { cluster },
      };
    case "route":
      return {
        t,
        kind: "route",
        message: `overflow ${e.overflowActive ? "on" : "off"} at primary load ${Math.round(e.primaryLoad * 100)}%`,
        to: e.overflowActive ? "overflow" : "primary",
        data: { primaryLoad: round(e.primaryLoad), totalSwitches: e.totalSwitches, cluster },
      };
    case "hot-sku":
      return {
        t,
        kind: "hot-sku",
        message: `hot SKU ${e.sku} at ${Math.round(e.share * 100)}% of orders${where}`,
        data: { sku: e.sku, share: round(e.share), cluster },
      };
    case "incident":
      return {
        t,
        kind: "incident",
        message: `incident ${e.incident.id} on ${e.incident.providerId}${where}: ${e.incident.outcome ?? "open"}`,
        providerId: e.incident.providerId,
        data: {
          cluster,
          id: e.incident.id,
          openedAt: round(e.incident.openedAt / 1000, 3),
          closedAt: e.incident.closedAt === null ? null : round(e.incident.closedAt / 1000, 3),
          ordersDiverted: e.incident.ordersDiverted,
          ordersRetried: e.incident.ordersRetried,
        },
      };
  }
}
