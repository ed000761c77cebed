// One live run of one configuration: stock the server, start the engines at a shared instant,
// apply the scenario's faults at their (scaled) moments through the Admin API, sample GetSnapshot at
// every window's end, follow the server's events, judge thresholds on the merged histograms (early,
// for abortOnFail, and over the whole run) with the shared judge (results/judge.ts), and assemble the RunResult.

import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { performance } from "node:perf_hooks";
import type { GetSnapshotResponse } from "../proto/gen/rushhour/v1/admin.ts";
import { faultEvent, livePoint, runResult, summarize } from "../results/assemble.ts";
import { businessCounters, businessWindow } from "../results/business.ts";
import { LatencyHistogram } from "../results/histogram.ts";
import { judgeObserved } from "../results/judge.ts";
import type {
  PointSummary,
  RunCounters,
  RunEvent,
  RunResult,
  RunWindow,
  StoreAuditResult,
  ThresholdResult,
} from "../results/run-result.ts";
import { armInputs } from "../scenarios/arms.ts";
import type { Scenario } from "../scenarios/define.ts";
import { abortsOn, type LiveOptions, liveOptions, requestTimeoutMs } from "../scenarios/live.ts";
import { businessBlock, objectiveOf, perDayBasis } from "../scenarios/objective.ts";
import { parseDuration } from "../traffic/duration.ts";
import { type ExecutorConfig, planFor, scaleExecutor } from "../traffic/executors/index.ts";
import { replayShape } from "../traffic/replay/timeline.ts";
import { type ExecutionSegment, engineShare, stripeCount } from "../traffic/segment.ts";
import { Admin } from "./admin.ts";
import { liveBusiness } from "./business-rows.ts";
import { traceIdOf } from "./engine.ts";
import { eventFromServer } from "./events.ts";
import { enginesFor, type MergedWindow, runPool } from "./pool.ts";
import { mergeSentParts } from "./record.ts";
import { RequestMix } from "./request-mix.ts";
import { buildWindow, type WindowSnapshots } from "./series.ts";
import { importStock, replayStockPlan, stockPlan } from "./stock.ts";
import type { ClientTls } from "./unary-channel.ts";
import { addCounts, type Counts, zeroCounts } from "./window-stats.ts";

export interface LoadArm {
  /** Preset name or config file as given. */
  name: string;
  role: "baseline" | "candidate" | "single";
  /** The resolved configuration (for the RunResult). */
  definition: unknown;
}

export interface LoadTarget {
  addresses: string[];
  /**
   * Servers that get no orders from the driver but whose snapshots go into the series beside the targets':
   * a backup, which serves the primaries' overflow (its CPU is the series' `backup` figure).
   */
  observed?: string[];
  /** Admin token of the servers; without it no stock, faults or snapshots (a warning says so). */
  adminToken: string | null;
  /** TLS to the servers (serve --tls-cert): their PEM CA, and a client certificate if they ask for one. */
  tls?: ClientTls | null;
  /** Client bearer token for DispatchService (serve --client-tokens). */
  clientToken?: string | null;
}

export interface LoadProgress {
  elapsedS: number;
  totalS: number;
  achievedRate: number;
  p99: number;
  delivered: number;
  errors: number;
  dropped: number;
}

export interface RunLoadOptions {
  scenario: Scenario;
  arm: LoadArm;
  target: LoadTarget;
  durationScale: number;
  command: string[];
  /** Import card stock before the run (default true; off when the deployment has its own). */
  stock?: boolean;
  onProgress?: (p: LoadProgress) => void;
  /** Progress notes (stock imported, faults applied). */
  log?: (line: string) => void;
  /** Problems worth seeing even when quiet (a fault that could not be injected, a late driver). */
  warn?: (line: string) => void;
  /** Cores of the server machine (CPU 0..1 in the series); default: this machine's. */
  cores?: number;
  /** Resend an order refused UNAVAILABLE to the next address (see EngineSpec.failover). */
  failover?: boolean;
  /** Called once the start instant is fixed, with ms since it (chaos actions are timed from it). */
  onStart?: (sinceStartMs: () => number) => void;
  /**
   * Called once the traffic has ended (a topology run brings its processes back and audits the store
   * here); what it returns goes into the RunResult, which is built once, after it.
   */
  afterTraffic?: () => Promise<RunExtras>;
  /**
   * Run only this execution segment of the schedule (load --segment): the RunResult is a partial one for
   * `rushhour merge`. Only segment 0 talks to the servers' Admin API (stock, faults, snapshots, events).
   */
  segment?: ExecutionSegment;
  /** The start instant shared by every shard (epoch ms, load --start-at); default: once connected. */
  startAtEpochMs?: number;
  /** Write the orders sent to this order log (load --record; load/record.ts). */
  record?: string;
  /** Send a traceparent with every order and list the slowest orders' trace ids (load --trace). */
  trace?: boolean;
}

/** What a run adds beyond the driver's own measurements (a topology run's processes, chaos, audit). */
export interface RunExtras {
  topology?: RunResult["topology"];
  chaos?: RunResult["chaos"];
  events?: RunEvent[];
  audit?: StoreAuditResult;
}

export interface LoadOutcome {
  result: RunResult;
  aborted: string | null;
}

/** The executor config of a run: the scenario's traffic (or the role's override), scaled, with live VU limits. */
export function executorFor(scenario: Scenario, role: LoadArm["role"], scale: number): ExecutorConfig {
  const scaled = scaleExecutor(armInputs(scenario, role).traffic, scale);
  const live = liveOptions(scenario.live);
  if (scaled.executor !== "constant-vus" && scaled.executor !== "ramping-vus") {
    if (live.maxVUs !== undefined) scaled.maxVUs = live.maxVUs;
    if (live.preAllocatedVUs !== undefined)
      scaled.preAllocatedVUs = Math.min(live.preAllocatedVUs, live.maxVUs ?? Infinity);
  }
  // In-flight orders get the scenario's drain (a duration, so scaled too) to finish once the traffic ends.
  scaled.gracefulStop = scenario.drain * scale;
  return scaled;
}

interface LiveObserved {
  overall: LatencyHistogram;
  cohorts: Map<string, LatencyHistogram>;
  counters: RunCounters;
  series: RunWindow[];
}

function pointSummary(o: LiveObserved, durationS: number): PointSummary {
  return livePoint(o.overall, o.counters, o.series, durationS);
}

function judge(scenario: Scenario, o: LiveObserved, durationS: number): ThresholdResult[] {
  return judgeObserved(scenario.thresholds, { ...o, points: [pointSummary(o, durationS)] });
}

function counters(
  c: Counts,
  first: GetSnapshotResponse[] | undefined,
  last: GetSnapshotResponse[] | undefined,
): RunCounters {
  const sum = (
    snaps: GetSnapshotResponse[] | undefined,
    pick: (k: NonNullable<GetSnapshotResponse["counters"]>) => number,
  ) => (snaps ?? []).reduce((s, x) => s + (x.counters ? pick(x.counters) : 0), 0);
  const d = (pick: (k: NonNullable<GetSnapshotResponse["counters"]>) => number) =>
    Math.max(0, sum(last, pick) - sum(first, pick));
  return {
    submitted: c.started,
    delivered: c.delivered,
    failed: c.failed,
    rejected: c.rejected,
    retried: d((k) => k.retries),
    dropped: c.dropped,
    // Never a delta: a card handed out twice is a bug whenever it happened.
    duplicateCards: sum(last, (k) => k.duplicateCards),
    cacheHits: d((k) => k.cacheHits),
    routeSwitches: d((k) => k.routeSwitches),
    timeouts: d((k) => k.timeouts),
    unfinished: c.unfinished + c.interrupted,
    // The risk stage's outcomes, only in runs that had any (others keep their shape).
    ...(c.denied > 0 ? { denied: c.denied } : {}),
    ...(c.review > 0 ? { review: c.review } : {}),
  };
}

/** Sends later than this after their intended time make the run carry a note. */
const LATE_MS = 100;

export async function runLoad(o: RunLoadOptions): Promise<LoadOutcome> {
  const { scenario, arm } = o;
  // Shards other than 0 leave the servers alone: one shard stocks, injects the faults and reads the
  // snapshots (whose counters would otherwise be counted once per shard in the merge).
  const serverView = (o.segment?.index ?? 0) === 0;
  const target = serverView ? o.target : { ...o.target, adminToken: null };
  const log = o.log ?? (() => {});
  const warn = o.warn ?? log;
  const live: LiveOptions = liveOptions(scenario.live);
  const executor = executorFor(scenario, arm.role, o.durationScale);
  const plan = planFor(executor);
  const windowMs = scenario.window;
  const mix = new RequestMix({
    seed: scenario.seed,
    skuCount: scenario.skus.count,
    zipfExponent: scenario.skus.zipfExponent,
    vipShare: scenario.vipShare,
    keyPrefix: `${scenario.name}-${arm.role}-${Date.now().toString(36)}`,
  });
  const adminOf = (a: string) =>
    new Admin(a, target.adminToken as string, undefined, target.tls ?? undefined);
  const admins = target.adminToken === null ? [] : target.addresses.map(adminOf);
  // Sampled with the targets, never sent stock, faults or a watch (they see the same providers).
  const observers = target.adminToken === null ? [] : (target.observed ?? []).map(adminOf);
  const cores = o.cores ?? (await import("node:os")).availableParallelism();
  const startedAt = new Date();

  try {
    if (!serverView) log("not segment 0: stock, faults and server snapshots are left to shard 0");
    else if (admins.length === 0)
      log("no admin token: no card stock, faults or server snapshots (series lack server figures)");
    if (admins.length > 0 && o.stock !== false) {
      const orders = plan.model === "open" ? plan.count : Math.ceil((plan.maxVUs * plan.durationMs) / 5);
      const stock =
        executor.executor === "replay"
          ? replayStockPlan(replayShape(executor).scan.skus, executor.loop, live.cardStock)
          : stockPlan(mix, orders, live.cardStock);
      // Several servers may share one store; importing on the first is enough (duplicates are skipped).
      const n = await importStock(admins[0] as Admin, stock, mix.spec.keyPrefix);
      log(`imported ${n} cards over ${stock.length} SKUs`);
    }
    const snapshotAll = async (): Promise<WindowSnapshots | undefined> => {
      if (admins.length === 0) return undefined;
      const got = await Promise.allSettled(
        [...admins, ...observers].map((a) => a.getSnapshot(Math.max(500, windowMs))),
      );
      const ok = got.flatMap((g) => (g.status === "fulfilled" ? [g.value] : []));
      return ok.length > 0 ? ok : undefined;
    };
    const initial = await snapshotAll();

    // A shard sends 1/n of the schedule, and sizes its engines for that share. live.workers 0 and 1 both
    // mean one engine process (0 meant "in the host's own thread" before engines became processes).
    const shareOfPeak = (plan.model === "open" ? plan.peakRatePerSec : 0) / (o.segment?.count ?? 1);
    const engines = Math.max(1, live.workers ?? enginesFor(shareOfPeak));
    const merged: MergedWindow[] = [];
    const snapshots: (WindowSnapshots | undefined)[] = [];
    const running = { overall: LatencyHistogram.create(), counts: zeroCounts() };
    const totalS = (plan.durationMs + 0) / 1000;
    let aborted: string | null = null;
    const delayAbortMs = live.delayAbortEval === undefined ? 10_000 : parseDuration(live.delayAbortEval);

    // load --trace: one random 64-bit prefix per run; with the iteration it makes each order's trace id.
    const traceRunId = o.trace === true ? randomBytes(8).toString("hex") : undefined;
    const pool = runPool({
      spec: {
        executor,
        targets: target.addresses,
        windowMs,
        requestTimeoutMs: requestTimeoutMs(live),
        ...(o.failover ? { failover: true } : {}),
        ...(target.tls ? { tls: target.tls } : {}),
        ...(target.clientToken ? { clientToken: target.clientToken } : {}),
        mix: mix.spec,
        ...(o.record === undefined ? {} : { record: o.record }),
        ...(traceRunId === undefined ? {} : { traceRunId }),
      },
      engines,
      ...(o.segment !== undefined ? { segment: o.segment } : {}),
      ...(o.startAtEpochMs !== undefined ? { startAtEpochMs: o.startAtEpochMs } : {}),
      onWindow: (w) => {
        merged.push(w);
        running.overall.merge(w.histogram);
        addCounts(running.counts, w.counts);
        const elapsedS = ((w.index + 1) * windowMs) / 1000;
        o.onProgress?.({
          elapsedS,
          totalS,
          achievedRate: w.counts.started / (windowMs / 1000),
          p99: running.overall.percentile(99),
          delivered: running.counts.delivered,
          errors: running.counts.failed + running.counts.rejected,
          dropped: running.counts.dropped,
        });
        if (aborted === null && live.abortOnFail && elapsedS * 1000 >= delayAbortMs) {
          const observed: LiveObserved = {
            overall: running.overall,
            cohorts: new Map(),
            counters: counters(running.counts, initial, snapshots[w.index] ?? initial),
            series: [],
          };
          const failing = judge(scenario, observed, elapsedS).filter(
            (t) => !t.pass && t.observed !== null && abortsOn(live, t.metric, t.expression),
          );
          if (failing.length > 0) {
            const f = failing[0] as ThresholdResult;
            aborted = `${f.metric} ${f.expression} failed at ${elapsedS.toFixed(0)} s (observed ${f.observed})`;
            warn(`abortOnFail: ${aborted}; stopping`);
            pool.abort();
          }
        }
      },
    });
    let startAtEpochMs: number;
    try {
      startAtEpochMs = await pool.started;
    } catch (err) {
      await pool.done.catch(() => {});
      throw err;
    }
    const t0 = startAtEpochMs - performance.timeOrigin;
    const sinceStart = () => performance.now() - t0;
    // With a shared --start-at, engines ready after it start late (what is overdue goes out at once).
    const lateStartMs = Math.max(0, Math.round(sinceStart()));
    o.onStart?.(sinceStart);
    const timers: NodeJS.Timeout[] = [];
    const events: RunEvent[] = [];

    // Faults at their scaled moments; each carries its (scaled) duration, so the server ends it itself.
    for (const f of serverView ? scenario.faults : []) {
      const at = f.at * o.durationScale;
      const dur = f.duration * o.durationScale;
      const event = faultEvent(f, o.durationScale);
      const message = event.message;
      events.push(event);
      if (admins.length === 0) continue;
      timers.push(
        setTimeout(
          () => {
            for (const a of admins.slice(0, 1)) {
              a.injectFault({
                providerId: f.provider,
                kind: f.kind,
                probability: f.probability,
                latencyMs: f.latencyMs ?? 0,
                durationMs: dur,
              }).then(
                () => log(`t=${(sinceStart() / 1000).toFixed(1)}s ${message}`),
                (err: Error) => warn(`InjectFault failed: ${err.message}`),
              );
            }
          },
          Math.max(0, at - sinceStart()),
        ),
      );
    }

    // GetSnapshot at the end of every window, until the engines are done.
    let sampling = true;
    const sample = (w: number) => {
      timers.push(
        setTimeout(
          () => {
            if (!sampling) return;
            void snapshotAll().then((s) => {
              snapshots[w] = s;
            });
            sample(w + 1);
          },
          Math.max(0, (w + 1) * windowMs - sinceStart()),
        ),
      );
    };
    if (admins.length > 0) sample(0);

    const watchers = admins.map((a) =>
      a.watchEvents(
        (e) => {
          const ev = eventFromServer(e, startAtEpochMs);
          if (ev !== null) events.push(ev);
        },
        (err) => warn(`WatchEvents ended: ${err.message}`),
      ),
    );

    const done = await pool.done;
    if (o.record !== undefined) {
      const n = await mergeSentParts(o.record, engines);
      log(`recorded ${n} sent orders to ${o.record}`);
    }
    sampling = false;
    for (const t of timers) clearTimeout(t);
    for (const w of watchers) w.stop();
    const final = await snapshotAll();
    const finishedAt = new Date();
    const extras: RunExtras = o.afterTraffic ? await o.afterTraffic() : {};

    // Windows the sampler missed (a slow answer) carry the previous one forward.
    const series: RunWindow[] = [];
    let last = initial;
    done.windows.forEach((w, i) => {
      const s = snapshots[i] ?? (i === done.windows.length - 1 ? final : undefined) ?? last;
      series.push(buildWindow(w, s, i === 0 ? initial : last, { windowMs, cores }));
      last = s;
    });
    const durationSeconds = (done.windows.length * windowMs) / 1000;
    const runCounters = counters(done.counts, initial, final);
    // The store audit counts cards handed out twice from the ledger itself; the larger count stands.
    if (extras.audit !== undefined) {
      runCounters.duplicateCards = Math.max(runCounters.duplicateCards, extras.audit.duplicateCards);
    }
    const observed: LiveObserved = {
      overall: done.overall,
      cohorts: new Map(Object.entries(done.byCohort)),
      counters: runCounters,
      series,
    };
    const point = pointSummary(observed, durationSeconds);
    const thresholds = judge(scenario, observed, durationSeconds);
    if (extras.audit !== undefined) {
      // A failing audit fails the run like any threshold.
      thresholds.push({
        metric: "audit",
        expression: "duplicate cards, unfinished orders, failed orders holding cards == 0",
        observed: extras.audit.problems.length,
        pass: extras.audit.pass,
      });
    }
    events.push(...(extras.events ?? []));
    // The business rows (load/business-rows.ts): into the windows, the counters and the point summary.
    const trafficSeconds = plan.durationMs / 1000;
    const day = perDayBasis(
      scenario,
      armInputs(scenario, arm.role).traffic,
      plan.durationMs > 0 ? done.counts.started / plan.durationMs : 0,
    );
    const rows = liveBusiness({
      objective: objectiveOf(scenario),
      windowMs,
      windows: done.windows,
      cohorts: observed.cohorts,
      counts: done.counts,
      events,
      audit: extras.audit,
      trafficSeconds,
      day,
    });
    for (const [i, w] of series.entries()) Object.assign(w, businessWindow(rows.windows[i]!));
    Object.assign(runCounters, businessCounters(rows.total));
    Object.assign(point, rows.point);
    if (done.counts.interrupted > 0) {
      warn(
        `${done.counts.interrupted} orders still running when the drain ended were cancelled (counted as unfinished)`,
      );
    }
    const codes = Object.entries(done.errorCodes).sort((a, b) => b[1] - a[1]);
    if (codes.length > 0) {
      const message = `gRPC errors: ${codes.map(([k, v]) => `${k} ${v} (${done.errorSamples[k] ?? ""})`).join(", ")}`;
      warn(message);
      events.push({ t: 0, kind: "note", message, data: { errorCodes: done.errorCodes } });
    }
    // A driver that could not keep its schedule (a starved CPU) says so in the result: its late sends are
    // still timed from their intended start, but the offered rate in those windows was lower than planned.
    if (done.maxSendLagMs > LATE_MS) {
      const worst = done.windows.reduce((a, b) => (b.maxSendLagMs > a.maxSendLagMs ? b : a));
      const message = `the driver sent some orders up to ${done.maxSendLagMs.toFixed(0)} ms after their intended time (counted in their latency)`;
      warn(message);
      events.push({
        t: (worst.index * windowMs) / 1000,
        kind: "note",
        message,
        data: {
          maxSendLagMs: done.maxSendLagMs,
          lateWindows: done.windows.filter((w) => w.maxSendLagMs > LATE_MS).length,
          // Orders sent after the window they were due in closed (each in a later window's count).
          lateOrders: done.counts.late,
        },
      });
    }
    if (o.startAtEpochMs !== undefined && lateStartMs > LATE_MS) {
      const message = `this shard started ${lateStartMs} ms after the shared --start-at (its first orders went out late, timed from their intended start)`;
      warn(message);
      events.push({ t: 0, kind: "note", message, data: { lateStartMs } });
    }
    const encode = (r: Record<string, LatencyHistogram>) =>
      Object.fromEntries(Object.entries(r).map(([k, h]) => [k, h.encode()]));
    const segment = o.segment;
    const result: RunResult = runResult({
      kind: "load",
      scenario: { name: scenario.name, description: scenario.description, definition: scenario.definition },
      config: { name: arm.name, role: arm.role, definition: arm.definition },
      seeds: { base: scenario.seed, replications: [scenario.seed] },
      replications: 1,
      windowSeconds: windowMs / 1000,
      durationSeconds,
      seriesReplication: 0,
      command: o.command,
      provenance: {
        startedAt: startedAt.toISOString(),
        finishedAt: finishedAt.toISOString(),
        wallSeconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
        host: hostname(),
      },
      series,
      histograms: {
        overall: done.overall.encode(),
        byLane: encode(done.byLane),
        byCohort: encode(done.byCohort),
        // A server that sends no stage timings (another implementation of the API) leaves none.
        ...(Object.keys(done.byStage).length > 0 ? { byStage: encode(done.byStage) } : {}),
      },
      counters: runCounters,
      summary: summarize([point]),
      perReplication: [
        {
          replication: 0,
          seed: scenario.seed,
          summary: point,
          counters: runCounters,
          histogram: done.overall.encode(),
        },
      ],
      events: events.sort((a, b) => a.t - b.t),
      thresholds,
      ...(extras.topology !== undefined ? { topology: extras.topology } : {}),
      ...(extras.chaos !== undefined ? { chaos: extras.chaos } : {}),
      ...(extras.audit !== undefined ? { audit: extras.audit } : {}),
      business: businessBlock(scenario, day),
      ...(traceRunId !== undefined
        ? {
            slowestOrders: done.slowest.map((s) => ({
              latencyMs: s.ms,
              traceId: traceIdOf(traceRunId, s.iteration),
              iteration: s.iteration,
            })),
          }
        : {}),
      ...(segment !== undefined
        ? {
            shard: {
              kind: "segment" as const,
              index: segment.index,
              count: segment.count,
              schedule: {
                executor,
                ...(o.startAtEpochMs !== undefined
                  ? { startAt: new Date(o.startAtEpochMs).toISOString() }
                  : {}),
              },
              ...(plan.model === "open"
                ? { iterations: stripeCount(plan.count, engineShare(segment, 0, 1)) }
                : {}),
              lateStartMs,
              serverView,
              windows: done.windows.map((w) => w.latency),
            },
          }
        : {}),
    });
    return { result, aborted };
  } finally {
    for (const a of [...admins, ...observers]) a.close();
  }
}
