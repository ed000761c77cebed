// Merging load shards (load --segment i/n): with known latencies in each shard and window, the merged
// P99 (per window and whole-run) is the P99 of the union of every shard's latencies to HDR precision,
// driver counts add up, the servers' figures are shard 0's, and shards of another schedule or start
// instant are refused, naming the field.
import { describe, expect, it } from "vitest";
import { livePoint, runResult, summarize } from "../../results/assemble.ts";
import { businessCounters, businessPoint, zeroTally } from "../../results/business.ts";
import { LatencyHistogram } from "../../results/histogram.ts";
import { mergeShards, type ShardInput, unshardedCommand } from "../../results/merge.ts";
import { parseRunResult, type RunResult, type RunWindow } from "../../results/run-result.ts";
import { Xoshiro128 } from "../../server/core/random.ts";

const N = 3;
const WINDOWS = 4;
const executor = { executor: "constant-arrival-rate", rate: 300, timeUnit: 1000, duration: 4000 };
const startAt = "2026-12-01T04:00:00.000Z";

/** Known latencies: shard s, window w gets its own lognormal-ish spread (a slow shard 2 in window 3). */
function latencies(s: number, w: number): number[] {
  const rng = new Xoshiro128(1000 * s + w + 1);
  const slow = s === 2 && w === 3 ? 40 : 1;
  return Array.from({ length: 100 + 17 * s }, () => slow * 5 * Math.exp(2 * rng.next()));
}

function shard(s: number, over: Partial<RunResult["shard"]> = {}): ShardInput {
  const overall = LatencyHistogram.create();
  const windows: string[] = [];
  const series: RunWindow[] = [];
  for (let w = 0; w < WINDOWS; w++) {
    const h = LatencyHistogram.create();
    for (const ms of latencies(s, w)) h.record(ms);
    overall.merge(h);
    windows.push(h.encode());
    series.push({
      t: w,
      throughput: h.count,
      offeredRate: h.count,
      p50: h.percentile(50),
      p95: h.percentile(95),
      p99: h.percentile(99),
      max: h.max,
      submitted: h.count,
      delivered: h.count,
      errors: 0,
      rejected: 0,
      dropped: s,
      retries: s === 0 ? 3 : 0,
      routeSwitches: 0,
      queueDepth: s === 0 ? { default: 7 } : {},
      inFlight: s === 0 ? 42 : 1,
      cpu: s === 0 ? { primary: 0.5 } : {},
      overflowActive: false,
      providers: [],
    });
  }
  const submitted = series.reduce((n, x) => n + x.submitted, 0);
  const counters = {
    submitted,
    delivered: submitted,
    failed: 0,
    rejected: 0,
    retried: s === 0 ? 12 : 0,
    dropped: s * WINDOWS,
    duplicateCards: 0,
    cacheHits: 0,
    routeSwitches: 0,
    timeouts: 0,
    unfinished: 0,
  };
  const point = livePoint(overall, counters, series, WINDOWS);
  const result = runResult({
    kind: "load",
    scenario: { name: "known", description: "", definition: { name: "known" } },
    config: { name: "adaptive", role: "single", definition: {} },
    seeds: { base: 1, replications: [1] },
    replications: 1,
    windowSeconds: 1,
    durationSeconds: WINDOWS,
    seriesReplication: 0,
    command: [
      "rushhour",
      "load",
      "known",
      "--config",
      "adaptive",
      "--segment",
      `${s}/${N}`,
      "--start-at",
      startAt,
    ],
    provenance: {
      startedAt: `2026-12-01T04:00:0${s}.000Z`,
      finishedAt: `2026-12-01T04:00:1${s}.000Z`,
      host: `pod-${s}`,
    },
    series,
    histograms: {
      overall: overall.encode(),
      byLane: { default: overall.encode() },
      byCohort: { standard: overall.encode() },
    },
    counters,
    summary: summarize([point]),
    perReplication: [{ replication: 0, seed: 1, summary: point, counters, histogram: overall.encode() }],
    events: [{ t: 0.5 * s, kind: "note", message: `hello from ${s}` }],
    thresholds: [{ metric: "latency", expression: "p(99)<100", observed: point.p99, pass: point.p99 < 100 }],
    shard: {
      kind: "segment",
      index: s,
      count: N,
      schedule: { executor, startAt },
      iterations: 400,
      lateStartMs: 0,
      serverView: s === 0,
      windows,
      ...over,
    },
  });
  return {
    source: `known.adaptive.shard-${s}-of-${N}.json`,
    result: parseRunResult(JSON.parse(JSON.stringify(result))),
  };
}

/** The exact percentile of raw values (nearest rank, as HdrHistogram defines it). */
function exactPercentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

const HDR = 1e-3; // 3 significant digits

describe("merging load shards", () => {
  const shards = [0, 1, 2].map((s) => shard(s));
  const [merged] = mergeShards(shards);

  it("gives the P99 of the union of every shard's latencies, whole-run and per window", () => {
    const all = [0, 1, 2].flatMap((s) => Array.from({ length: WINDOWS }, (_, w) => latencies(s, w)).flat());
    const p99 = exactPercentile(all, 99);
    expect(Math.abs(merged!.summary.p99.mean - p99) / p99).toBeLessThan(HDR);
    // Not the mean of the shards' P99s: the slow shard's tail dominates the union.
    const meanOfShards = shards.reduce((x, s) => x + s.result.summary.p99.mean, 0) / N;
    expect(Math.abs(meanOfShards - p99) / p99).toBeGreaterThan(0.1);
    for (let w = 0; w < WINDOWS; w++) {
      const union = [0, 1, 2].flatMap((s) => latencies(s, w));
      const expected = exactPercentile(union, 99);
      expect(Math.abs(merged!.series[w]!.p99 - expected) / expected).toBeLessThan(HDR);
      expect(merged!.series[w]!.submitted).toBe(union.length);
    }
    expect(LatencyHistogram.decode(merged!.histograms.overall).count).toBe(all.length);
    expect(merged!.thresholds).toEqual([
      {
        metric: "latency",
        expression: "p(99)<100",
        observed: merged!.summary.p99.mean,
        pass: merged!.summary.p99.mean < 100,
      },
    ]);
  });

  it("adds the drivers' counts, keeps shard 0's view of the servers, and interleaves events", () => {
    expect(merged!.counters.submitted).toBe(shards.reduce((n, s) => n + s.result.counters.submitted, 0));
    expect(merged!.counters.dropped).toBe((0 + 1 + 2) * WINDOWS);
    expect(merged!.counters.retried).toBe(12);
    expect(merged!.series[1]).toMatchObject({
      cpu: { primary: 0.5 },
      queueDepth: { default: 7 },
      inFlight: 42,
      retries: 3,
    });
    expect(merged!.events.map((e) => e.message)).toEqual([
      "shard 0/3: hello from 0",
      "shard 1/3: hello from 1",
      "shard 2/3: hello from 2",
    ]);
    expect(merged!.command).toEqual(["rushhour", "load", "known", "--config", "adaptive"]);
    expect(
      unshardedCommand(["rushhour", "sim", "x", "--shard-count", "4", "--out", "o", "--shard-index=1"]),
    ).toEqual(["rushhour", "sim", "x", "--out", "o"]);
    expect(merged!.provenance).toMatchObject({
      startedAt: "2026-12-01T04:00:00.000Z",
      finishedAt: "2026-12-01T04:00:12.000Z",
      host: "pod-0,pod-1,pod-2",
    });
    expect(merged!.shard).toBeUndefined();
    expect(() => parseRunResult(JSON.parse(JSON.stringify(merged)))).not.toThrow();
  });

  it("refuses a shard of another schedule or start instant, naming the field", () => {
    const other = shard(1, { schedule: { executor: { ...executor, rate: 400 }, startAt } });
    expect(() => mergeShards([shards[0]!, other, shards[2]!])).toThrow(
      /shard.schedule.executor is .* in known.adaptive.shard-0-of-3.json but .*"rate":400.* in known.adaptive.shard-1-of-3.json/,
    );
    const late = shard(2, { schedule: { executor, startAt: "2026-12-01T05:00:00.000Z" } });
    expect(() => mergeShards([shards[0]!, shards[1]!, late])).toThrow(
      /shard.schedule.startAt is "2026-12-01T04:00:00.000Z"/,
    );
  });

  it("says which shard is missing", () => {
    expect(() => mergeShards([shards[0]!, shards[2]!])).toThrow(
      /missing shard 1\/3 of known adaptive \(single\)/,
    );
  });
});

describe("merging load shards with business rows", () => {
  /** Shard s's on-time deliveries in window w: each shard is busiest in its own window (w = s). */
  const onTime = (s: number, w: number) => (w === s ? 90 : 20) + s;
  const TRAFFIC_S = 3;
  const ORDERS_PER_DAY = 1_000_000;
  const day = { ordersPerDay: ORDERS_PER_DAY, basis: "test" };

  /** A shard as run-load writes it with business rows: per-window onTime, counters and its own point. */
  function withBusiness(s: number): ShardInput {
    const input = shard(s);
    const r = structuredClone(input.result);
    for (const [i, w] of r.series.entries())
      Object.assign(w, { onTime: onTime(s, i), interventions: s, complaintRisk: 1 });
    const tally = {
      ...zeroTally(),
      onTime: r.series.reduce((n, w) => n + (w.onTime ?? 0), 0),
      failed: s,
      late: 2,
    };
    Object.assign(r.counters, businessCounters(tally));
    const point = {
      ...r.perReplication[0]!.summary,
      ...businessPoint(
        tally,
        {
          goodputPeak: Math.max(...r.series.map((w) => w.onTime ?? 0)),
          trafficSeconds: TRAFFIC_S,
          submitted: r.counters.submitted,
        },
        day,
      ),
    };
    r.perReplication[0]!.summary = point;
    r.summary = summarize([point]);
    r.business = {
      objective: { latencyMs: 100, patienceMs: { standard: 1000, vip: 500 }, incidentRecoveryMs: 60_000 },
      ordersPerDay: ORDERS_PER_DAY,
      perDayBasis: "test",
    };
    return { source: input.source, result: parseRunResult(JSON.parse(JSON.stringify(r))) };
  }

  it("recomputes the goodput headline on the merged windows, not the sum of the shards' peaks", () => {
    const shards = [0, 1, 2].map(withBusiness);
    const [merged] = mergeShards(shards);
    const perWindow = Array.from({ length: WINDOWS }, (_, w) =>
      [0, 1, 2].reduce((n, s) => n + onTime(s, w), 0),
    );
    // Window 2: 20 + 21 + 92 = 133 on time; the shards' own peaks add up to 90 + 91 + 92 = 273.
    expect(merged!.summary.goodputPeak?.mean).toBe(Math.max(...perWindow));
    const sumOfPeaks = shards.reduce((n, s) => n + (s.result.summary.goodputPeak?.mean ?? 0), 0);
    expect(sumOfPeaks).toBeGreaterThan(1.5 * Math.max(...perWindow));
    const onTimeAll = perWindow.reduce((a, b) => a + b, 0);
    expect(merged!.counters.onTime).toBe(onTimeAll);
    expect(merged!.summary.goodputMean?.mean).toBeCloseTo(onTimeAll / TRAFFIC_S, 3);
    // Interventions (failed) and complaint risk (failed + late) over the merged run, and per day.
    expect(merged!.perReplication[0]!.summary.interventions).toBe(0 + 1 + 2);
    expect(merged!.perReplication[0]!.summary.complaintRisk).toBe(0 + 1 + 2 + 3 * 2);
    expect(merged!.summary.complaintRiskPerDay?.mean).toBeCloseTo(
      (9 / merged!.counters.submitted) * ORDERS_PER_DAY,
      3,
    );
  });
});
