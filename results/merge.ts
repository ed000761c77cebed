// `rushhour merge`: partial RunResults of a sharded run (load --segment, sim --shard) put back together
// exactly. HDR histograms add without loss, so the merged percentiles are those of the union of every
// shard's latencies (per window and for the whole run); counters add; thresholds are judged again on the
// merged result. Load shards: the driver's figures add window by window, the server's (CPU, queues,
// providers, which only shard 0 reads) are shard 0's. Simulation shards hold whole replications: the merge
// assembles them as an unsharded run would (simulator/runner.ts), so the result is the same bytes once
// provenance is removed. Shards of different runs are refused, naming the field that differs.
import { livePoint, mergeHistogramMaps, runResult, sumCounters, summarize } from "./assemble.ts";
import { perDay } from "./business.ts";
import { LatencyHistogram, mergeEncoded } from "./histogram.ts";
import { judgeObserved } from "./judge.ts";
import type { PointSummary, RunEvent, RunResult, RunWindow, ThresholdResult } from "./run-result.ts";
import type { ShardInfo } from "./shard.ts";
import { firstDifference, type ShardField, shardCoverage, shortJson } from "./shard-set.ts";

export class MergeError extends Error {
  override name = "MergeError";
}

export interface ShardInput {
  /** Where it came from (a file path), for messages. */
  source: string;
  result: RunResult;
}

type Shard = ShardInput & { shard: ShardInfo };

/** Flags that pick a shard; the merged result's command is the shards' without them. */
const SHARD_FLAGS = [
  "--segment",
  "--segment-index",
  "--segment-count",
  "--start-at",
  "--shard",
  "--shard-index",
  "--shard-count",
];

/** The shards' command line without the flags that chose the shard (the command of the unsharded run). */
export function unshardedCommand(command: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < command.length; i++) {
    const arg = command[i] as string;
    if (SHARD_FLAGS.includes(arg)) i++;
    else if (!SHARD_FLAGS.some((f) => arg.startsWith(`${f}=`))) out.push(arg);
  }
  return out;
}

/** One merged RunResult per configuration of the shards (in the order they first appear). */
export function mergeShards(inputs: readonly ShardInput[]): RunResult[] {
  if (inputs.length === 0) throw new MergeError("no shard files given");
  const groups = new Map<string, Shard[]>();
  for (const input of inputs) {
    const shard = input.result.shard;
    if (shard === undefined) {
      throw new MergeError(
        `${input.source}: not a shard (no "shard" block): merge joins the partial results of load --segment or sim --shard`,
      );
    }
    const key = `${input.result.config.role}\u0000${input.result.config.name}`;
    const list = groups.get(key) ?? [];
    list.push({ ...input, shard });
    groups.set(key, list);
  }
  const firstOfEach = [...groups.values()].map((g) => g[0] as Shard);
  for (const s of firstOfEach.slice(1)) sameRun(firstOfEach[0] as Shard, s, false);
  return [...groups.values()].map(mergeGroup);
}

function mergeGroup(shards: Shard[]): RunResult {
  const first = shards[0] as Shard;
  for (const s of shards.slice(1)) sameRun(first, s, true);
  const sorted = [...shards].sort((a, b) => a.shard.index - b.shard.index);
  const label = `${first.result.scenario.name} ${first.result.config.name} (${first.result.config.role})`;
  const count = first.shard.count;
  const { twice, missing } = shardCoverage(
    shards.map((s) => ({ index: s.shard.index, source: s.source })),
    count,
  );
  if (twice !== null) {
    throw new MergeError(
      `shard ${twice.index}/${count} of ${label} given twice: ${twice.first} and ${twice.second}`,
    );
  }
  if (missing.length > 0) {
    throw new MergeError(
      `missing shard${missing.length > 1 ? "s" : ""} ${missing.map((i) => `${i}/${count}`).join(", ")} of ${label}: merge needs every shard`,
    );
  }
  return first.shard.kind === "segment" ? mergeSegments(sorted) : mergeReplications(sorted);
}

/** Throws naming the first field in which `b` is not a shard of the same run as `a`. */
function sameRun(a: Shard, b: Shard, sameConfig: boolean): void {
  type Field = ShardField<Shard>;
  const perConfig: Field[] = [
    ["config.definition", (s) => s.result.config.definition],
    ["shard.schedule.executor", (s) => s.shard.schedule.executor],
  ];
  const fields: Field[] = [
    ["kind", (s) => s.result.kind],
    ["scenario.name", (s) => s.result.scenario.name],
    ["scenario.definition", (s) => s.result.scenario.definition],
    ["seeds", (s) => s.result.seeds],
    ["windowSeconds", (s) => s.result.windowSeconds],
    ["shard.kind", (s) => s.shard.kind],
    ["shard.count", (s) => s.shard.count],
    ["shard.schedule.startAt", (s) => s.shard.schedule.startAt],
    ["shard.schedule.replications", (s) => s.shard.schedule.replications],
    ...(sameConfig ? perConfig : []),
  ];
  const d = firstDifference(a, b, fields);
  if (d !== null) {
    throw new MergeError(
      `shards of different runs: ${d.field} is ${shortJson(d.a)} in ${a.source} but ${shortJson(d.b)} in ${b.source}`,
    );
  }
}

/** The scenario's thresholds as the shards were judged on (metric -> expressions), without the audit. */
function thresholdSpec(results: readonly ThresholdResult[]): Record<string, string[]> {
  const spec: Record<string, string[]> = {};
  for (const t of results) {
    if (t.metric === "audit") continue;
    const list = spec[t.metric] ?? [];
    list.push(t.expression);
    spec[t.metric] = list;
  }
  return spec;
}

function provenanceOf(shards: readonly Shard[]): RunResult["provenance"] {
  const started = shards.map((s) => s.result.provenance.startedAt).sort();
  const finished = shards.map((s) => s.result.provenance.finishedAt).sort();
  const startedAt = started[0] as string;
  const finishedAt = finished[finished.length - 1] as string;
  const hosts = [...new Set(shards.flatMap((s) => s.result.provenance.host ?? []))];
  const wall = (Date.parse(finishedAt) - Date.parse(startedAt)) / 1000;
  return {
    startedAt,
    finishedAt,
    ...(Number.isFinite(wall) && wall >= 0 ? { wallSeconds: wall } : {}),
    ...(hosts.length > 0 ? { host: hosts.join(",") } : {}),
  };
}

/** Load shards: the driver's figures added window by window, the servers' taken from shard 0. */
function mergeSegments(shards: readonly Shard[]): RunResult {
  const first = shards[0] as Shard;
  const r0 = first.result;
  const viewer = shards.find((s) => s.shard.serverView === true);
  const windowSeconds = r0.windowSeconds;
  const count = Math.max(...shards.map((s) => s.result.series.length));
  const series: RunWindow[] = [];
  for (let w = 0; w < count; w++) {
    const here = shards.filter((s) => s.result.series[w] !== undefined);
    const latency = mergeEncoded(here.map((s) => s.shard.windows?.[w] ?? ""));
    const sum = (pick: (x: RunWindow) => number) =>
      here.reduce((acc, s) => acc + pick(s.result.series[w] as RunWindow), 0);
    const server = viewer?.result.series[w];
    // Shard 0's in-flight count is the servers' when it read them (a snapshot gives CPU); else each driver's own.
    const serverInFlight = server !== undefined && Object.keys(server.cpu).length > 0;
    series.push({
      t: w * windowSeconds,
      throughput: sum((x) => x.throughput),
      offeredRate: sum((x) => x.offeredRate),
      p50: latency.percentile(50),
      p95: latency.percentile(95),
      p99: latency.percentile(99),
      max: latency.max,
      submitted: sum((x) => x.submitted),
      delivered: sum((x) => x.delivered),
      errors: sum((x) => x.errors),
      rejected: sum((x) => x.rejected),
      dropped: sum((x) => x.dropped),
      retries: sum((x) => x.retries),
      routeSwitches: sum((x) => x.routeSwitches),
      queueDepth: server?.queueDepth ?? {},
      inFlight: serverInFlight ? (server as RunWindow).inFlight : sum((x) => x.inFlight),
      cpu: server?.cpu ?? {},
      overflowActive: server?.overflowActive ?? false,
      providers: server?.providers ?? [],
      ...(server?.eventLoop !== undefined ? { eventLoop: server.eventLoop } : {}),
      // The business rows per window (results/business.ts), counted by each driver: added up.
      ...(here.every((s) => (s.result.series[w] as RunWindow).onTime !== undefined)
        ? {
            onTime: sum((x) => x.onTime ?? 0),
            interventions: sum((x) => x.interventions ?? 0),
            complaintRisk: sum((x) => x.complaintRisk ?? 0),
          }
        : {}),
    });
  }
  const overall = mergeEncoded(shards.map((s) => s.result.histograms.overall));
  const lanes = mergeHistogramMaps(shards.map((s) => decodeRecord(s.result.histograms.byLane)));
  const cohorts = mergeHistogramMaps(shards.map((s) => decodeRecord(s.result.histograms.byCohort)));
  const stages = mergedStages(shards.map((s) => s.result.histograms.byStage));
  const counters = sumCounters(shards.map((s) => s.result.counters));
  if (shards.every((s) => s.result.counters.unfinished === undefined)) delete counters.unfinished;
  const durationSeconds = count * windowSeconds;
  const point = livePoint(overall, counters, series, durationSeconds);
  if (r0.business !== undefined) Object.assign(point, mergedBusinessPoint(shards, series, counters, r0));
  const thresholds = judgeObserved(thresholdSpec(r0.thresholds), {
    overall,
    cohorts: cohorts.merged,
    counters,
    points: [point],
  });
  const audit = shards.find((s) => s.result.audit !== undefined)?.result.audit;
  if (audit !== undefined) {
    thresholds.push({
      metric: "audit",
      expression: "duplicate cards, unfinished orders, failed orders holding cards == 0",
      observed: audit.problems.length,
      pass: audit.pass,
    });
  }
  // Server events and faults come from shard 0; each shard's own notes say which shard they are from.
  const events: RunEvent[] = shards
    .flatMap((s) =>
      s.result.events.map((e) =>
        e.kind === "note" ? { ...e, message: `shard ${s.shard.index}/${s.shard.count}: ${e.message}` } : e,
      ),
    )
    .sort((a, b) => a.t - b.t);
  return runResult({
    kind: r0.kind,
    scenario: r0.scenario,
    config: r0.config,
    seeds: r0.seeds,
    replications: 1,
    windowSeconds,
    durationSeconds,
    seriesReplication: 0,
    command: unshardedCommand(r0.command),
    provenance: provenanceOf(shards),
    series,
    histograms: {
      overall: overall.encode(),
      byLane: lanes.encoded,
      byCohort: cohorts.encoded,
      ...(stages !== undefined ? { byStage: stages } : {}),
    },
    counters,
    summary: summarize([point]),
    perReplication: [
      { replication: 0, seed: r0.seeds.base, summary: point, counters, histogram: overall.encode() },
    ],
    events,
    thresholds,
    ...(r0.business !== undefined ? { business: r0.business } : {}),
    ...(viewer?.result.topology !== undefined ? { topology: viewer.result.topology } : {}),
    ...(viewer?.result.chaos !== undefined ? { chaos: viewer.result.chaos } : {}),
    ...(audit !== undefined ? { audit } : {}),
  });
}

/**
 * The business point (goodput headline, interventions, complaint risk, per day) of merged load shards,
 * recomputed on the merged run rather than taken from one shard or added across them: the goodput peak is
 * the busiest merged window's on-time deliveries (the shards' peaks fall in different windows, so their sum
 * overstates it); the counts and their per-day figures come from the merged counters. Each shard's on-time
 * count per window was read from that shard's window histograms, and placing a delivery is per value, so
 * these sums are the counts of the merged histograms. The goodput mean is on-time over the traffic's
 * seconds, the same in every shard: the sum of the shards' means (exact up to their 4-decimal rounding).
 * Shards written before the business rows (no per-window on-time count) keep the point without them.
 */
function mergedBusinessPoint(
  shards: readonly Shard[],
  series: readonly RunWindow[],
  counters: RunResult["counters"],
  r0: RunResult,
): Partial<PointSummary> {
  const business = r0.business;
  if (business === undefined || series.some((w) => w.onTime === undefined)) return {};
  const means = shards.map((s) => s.result.perReplication[0]?.summary.goodputMean);
  if (means.some((m) => m === undefined)) return {};
  const r = (x: number) => Math.round(x * 1e4) / 1e4;
  const interventions = counters.interventions ?? 0;
  const complaintRisk = counters.complaintRisk ?? 0;
  return {
    goodputPeak: r(Math.max(0, ...series.map((w) => (w.onTime ?? 0) / r0.windowSeconds))),
    goodputMean: r((means as number[]).reduce((a, b) => a + b, 0)),
    interventions,
    complaintRisk,
    interventionsPerDay: r(perDay(interventions, counters.submitted, business.ordersPerDay)),
    complaintRiskPerDay: r(perDay(complaintRisk, counters.submitted, business.ordersPerDay)),
  };
}

function decodeRecord(record: Record<string, string>): Map<string, LatencyHistogram> {
  return new Map(Object.entries(record).map(([k, v]) => [k, LatencyHistogram.decode(v)]));
}

/** Simulation shards: whole replications, assembled in replication order as simulate() assembles them. */
function mergeReplications(shards: readonly Shard[]): RunResult {
  const first = shards[0] as Shard;
  const r0 = first.result;
  const total = first.shard.schedule.replications ?? r0.seeds.replications.length;
  const reps = shards
    .flatMap((s) => s.result.perReplication.map((p) => ({ p, s })))
    .sort((a, b) => a.p.replication - b.p.replication);
  const got = reps.map((x) => x.p.replication);
  const expected = Array.from({ length: total }, (_, r) => r);
  if (JSON.stringify(got) !== JSON.stringify(expected)) {
    throw new MergeError(
      `the shards of ${r0.scenario.name} ${r0.config.name} hold replications [${got.join(", ")}], not each of 0..${total - 1} once`,
    );
  }
  const byRep = new Map(
    shards.flatMap((s) => (s.shard.replicationHistograms ?? []).map((h) => [h.replication, h] as const)),
  );
  const histogramsOf = (r: number) => {
    const h = byRep.get(r);
    if (h === undefined) throw new MergeError(`no per-replication histograms for replication ${r}`);
    return h;
  };
  const detailed = reps.find((x) => x.p.replication === r0.seriesReplication)?.s.result as RunResult;
  const overall = LatencyHistogram.create();
  for (const { p } of reps) overall.merge(LatencyHistogram.decode(p.histogram));
  const lanes = mergeHistogramMaps(expected.map((r) => decodeRecord(histogramsOf(r).byLane)));
  const cohorts = mergeHistogramMaps(expected.map((r) => decodeRecord(histogramsOf(r).byCohort)));
  const stages = mergedStages(expected.map((r) => histogramsOf(r).byStage));
  const counters = sumCounters(reps.map((x) => x.p.counters));
  const points = reps.map((x) => x.p.summary);
  const thresholds = judgeObserved(thresholdSpec(r0.thresholds), {
    overall,
    cohorts: cohorts.merged,
    counters,
    points,
  });
  return runResult({
    kind: r0.kind,
    scenario: r0.scenario,
    config: r0.config,
    seeds: r0.seeds,
    replications: total,
    windowSeconds: r0.windowSeconds,
    durationSeconds: detailed.durationSeconds,
    seriesReplication: r0.seriesReplication,
    command: unshardedCommand(r0.command),
    provenance: provenanceOf(shards),
    series: detailed.series,
    histograms: {
      overall: overall.encode(),
      byLane: lanes.encoded,
      byCohort: cohorts.encoded,
      ...(stages !== undefined ? { byStage: stages } : {}),
    },
    counters,
    summary: summarize(points),
    perReplication: reps.map((x) => x.p),
    events: detailed.events,
    thresholds,
    ...(r0.business !== undefined ? { business: r0.business } : {}),
    ...(r0.calibration !== undefined ? { calibration: r0.calibration } : {}),
  });
}

/** The shards' stage histograms added up; none when a shard was recorded without them. */
function mergedStages(records: (Record<string, string> | undefined)[]): Record<string, string> | undefined {
  if (records.some((r) => r === undefined)) return undefined;
  return mergeHistogramMaps(records.map((r) => decodeRecord(r!))).encoded;
}
