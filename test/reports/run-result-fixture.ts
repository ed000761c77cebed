// A synthetic but schema-valid RunResult: latencies drawn from a seeded lognormal into real HDR histograms, so
// the CLI, the gate and the report are exercised end to end on files, with real seed-to-seed noise.

import { LatencyHistogram } from "../../results/histogram.ts";
import { RUN_RESULT_SCHEMA_VERSION, type RunResult } from "../../results/run-result.ts";
import { Xoshiro128 } from "../../server/core/random.ts";

export interface SyntheticOptions {
  scenario?: string;
  config: string;
  role?: "baseline" | "candidate" | "single";
  seed: number;
  replications?: number;
  /** Median latency, ms. */
  medianMs?: number;
  /** Orders per replication. */
  orders?: number;
  peak?: number;
  cpuPeak?: number;
  thresholdP99?: number;
  duplicateCards?: number;
  /** Manual interventions a day (the business rows); default 5. */
  interventionsPerDay?: number;
}

/** The fixture's latency objective and the orders a day its per-day figures assume. */
const OBJECTIVE_MS = 2000;
const ORDERS_PER_DAY = 1_000_000;

function normal(rng: Xoshiro128): number {
  const u = Math.max(rng.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

export function syntheticRunResult(o: SyntheticOptions): RunResult {
  const reps = o.replications ?? 3;
  const median = o.medianMs ?? 200;
  const orders = o.orders ?? 4000;
  const windowSeconds = 5;
  const windows = 24;
  const seeds = Array.from({ length: reps }, (_, i) => o.seed * 1000 + i);
  const overall = LatencyHistogram.create();
  const perReplication = seeds.map((seed, replication) => {
    const rng = new Xoshiro128(seed);
    const h = LatencyHistogram.create();
    for (let i = 0; i < orders; i++) h.record(median * Math.exp(0.6 * normal(rng)));
    overall.merge(h);
    const peak = (o.peak ?? 1000) * (1 + 0.02 * normal(rng));
    return {
      replication,
      seed,
      summary: {
        throughputPeak: peak,
        throughputMean: peak * 0.6,
        p50: h.percentile(50),
        p95: h.percentile(95),
        p99: h.percentile(99),
        p999: h.percentile(99.9),
        max: h.max,
        cpuPeak: { primary: o.cpuPeak ?? 0.7, backup: (o.cpuPeak ?? 0.7) / 2 },
        errorRate: 0.001,
        retries: 20 + replication,
        // Goodput: the share of latencies within the objective, of the peak and of the mean.
        goodputPeak: peak * (1 - h.fractionAbove(OBJECTIVE_MS)),
        goodputMean: peak * 0.6 * (1 - h.fractionAbove(OBJECTIVE_MS)),
        interventions: 1,
        complaintRisk: Math.round(orders * h.fractionAbove(OBJECTIVE_MS)),
        interventionsPerDay: o.interventionsPerDay ?? 5,
        complaintRiskPerDay: ORDERS_PER_DAY * h.fractionAbove(OBJECTIVE_MS),
      },
      counters: counters(orders, o.duplicateCards ?? 0),
      histogram: h.encode(),
    };
  });
  const p99s = perReplication.map((r) => r.summary.p99);
  const ci = (xs: number[]) => {
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    return { mean: m, lo: Math.min(...xs), hi: Math.max(...xs), n: xs.length };
  };
  const pick = (f: (s: (typeof perReplication)[number]["summary"]) => number) =>
    ci(perReplication.map((r) => f(r.summary)));
  const first = perReplication[0]!.summary;
  const series = Array.from({ length: windows }, (_, i) => {
    const load = Math.sin((Math.PI * (i + 0.5)) / windows);
    const inFault = i >= 8 && i < 12;
    return {
      t: i * windowSeconds,
      throughput: first.throughputPeak * load,
      offeredRate: first.throughputPeak * load,
      p50: first.p50 * (0.5 + load),
      p95: first.p95 * (0.5 + load),
      p99: first.p99 * (0.5 + load),
      max: first.max,
      submitted: 100,
      delivered: 99,
      errors: inFault ? 3 : 0,
      rejected: 0,
      dropped: 0,
      retries: inFault ? 10 : 1,
      routeSwitches: i === 10 ? 1 : 0,
      queueDepth: { vip: 2 * load, default: 30 * load },
      inFlight: 10,
      cpu: { primary: (o.cpuPeak ?? 0.7) * load, backup: ((o.cpuPeak ?? 0.7) / 2) * load },
      overflowActive: load > 0.8,
      onTime: Math.round(99 * (1 - overall.fractionAbove(OBJECTIVE_MS))),
      interventions: i === 10 ? 1 : 0,
      complaintRisk: inFault ? 3 : 0,
      providers: [
        { id: "prov-a", state: inFault ? "ISOLATED" : "HEALTHY", weight: inFault ? 0 : 0.5, outstanding: 1 },
        { id: "prov-b", state: "HEALTHY", weight: 0.5, outstanding: 1 },
      ],
    };
  });
  const p99Threshold = o.thresholdP99 ?? 100000;
  const observed = overall.percentile(99);
  return {
    schemaVersion: RUN_RESULT_SCHEMA_VERSION,
    kind: "sim",
    scenario: { name: o.scenario ?? "synthetic", description: "synthetic test data", definition: {} },
    config: { name: o.config, role: o.role ?? "single", definition: {} },
    seeds: { base: o.seed, replications: seeds },
    replications: reps,
    windowSeconds,
    durationSeconds: windows * windowSeconds,
    seriesReplication: 0,
    versions: { rushhour: "0.1.0", node: "v20" },
    command: ["rushhour", "test"],
    provenance: { startedAt: "2026-01-01T00:00:00Z", finishedAt: "2026-01-01T00:00:01Z" },
    series,
    histograms: { overall: overall.encode(), byLane: {}, byCohort: {} },
    counters: counters(orders * reps, o.duplicateCards ?? 0),
    summary: {
      throughputPeak: pick((s) => s.throughputPeak),
      throughputMean: pick((s) => s.throughputMean),
      p50: pick((s) => s.p50),
      p95: pick((s) => s.p95),
      p99: ci(p99s),
      p999: pick((s) => s.p999),
      max: pick((s) => s.max),
      cpuPeak: { primary: pick((s) => s.cpuPeak.primary ?? 0) },
      errorRate: pick((s) => s.errorRate),
      retries: pick((s) => s.retries),
      goodputPeak: pick((s) => s.goodputPeak),
      goodputMean: pick((s) => s.goodputMean),
      interventionsPerDay: pick((s) => s.interventionsPerDay),
      complaintRiskPerDay: pick((s) => s.complaintRiskPerDay),
    },
    perReplication,
    events: [
      { t: 40, kind: "fault", message: "prov-a timeout", providerId: "prov-a", to: "timeout", endT: 60 },
      {
        t: 41,
        kind: "health",
        message: "prov-a isolated",
        providerId: "prov-a",
        from: "HEALTHY",
        to: "ISOLATED",
      },
    ],
    thresholds: [
      { metric: "latency", expression: `p(99)<${p99Threshold}`, observed, pass: observed < p99Threshold },
    ],
    business: {
      objective: {
        latencyMs: OBJECTIVE_MS,
        patienceMs: { standard: 30_000, vip: 10_000 },
        incidentRecoveryMs: 300_000,
      },
      ordersPerDay: ORDERS_PER_DAY,
      perDayBasis: "fixture",
    },
  };
}

function counters(delivered: number, duplicateCards: number) {
  return {
    submitted: delivered,
    delivered,
    failed: 0,
    rejected: 0,
    retried: 20,
    dropped: 0,
    duplicateCards,
    cacheHits: 0,
    routeSwitches: 1,
    timeouts: 0,
  };
}
