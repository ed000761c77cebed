// RunResult (the JSON both runners write) -> RunView (what the renderers draw). The only file of reports/ that
// knows the RunResult schema's field names.
import { LatencyHistogram } from "../results/histogram.ts";
import type { RunResult } from "../results/run-result.ts";
import { quantileRankInterval } from "../results/stats.ts";
import type { ProviderBand, QuantileKey, RunView } from "./model.ts";

const DISTRIBUTION_QUANTILES = [
  0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.925, 0.95, 0.965, 0.975, 0.98, 0.99, 0.993,
  0.995, 0.997, 0.998, 0.999, 0.9995, 0.9999, 0.99999,
];
/** Size of the latency sample drawn from the whole-run histogram for the rank test. */
export const RANK_SAMPLE_SIZE = 2000;

export function toRunView(r: RunResult): RunView {
  const w = r.windowSeconds;
  const series = r.series;
  const lanes = unionKeys(series.map((s) => s.queueDepth));
  const clusters = unionKeys(series.map((s) => s.cpu));
  const hist = LatencyHistogram.decode(r.histograms.overall);
  const count = hist.count;

  const intervals: RunView["intervals"] = {};
  if (count > 0) {
    for (const [key, q] of [
      ["p50Ms", 0.5],
      ["p95Ms", 0.95],
      ["p99Ms", 0.99],
    ] as Array<[QuantileKey, number]>) {
      const ranks = quantileRankInterval(count, q);
      intervals[key] = {
        lowMs: hist.percentile((100 * ranks.lo) / count),
        highMs: hist.percentile((100 * ranks.hi) / count),
        count,
      };
    }
  }

  return {
    label: `${r.scenario.name} / ${r.config.name}`,
    scenario: r.scenario.name,
    config: r.config.name,
    role: r.config.role,
    kind: r.kind,
    windowSeconds: w,
    time: series.map((s) => s.t),
    throughput: series.map((s) => s.throughput),
    ...(series.length > 0 && series.every((s) => s.onTime !== undefined)
      ? { goodput: series.map((s) => (s.onTime ?? 0) / w) }
      : {}),
    p50Ms: series.map((s) => s.p50),
    p95Ms: series.map((s) => s.p95),
    p99Ms: series.map((s) => s.p99),
    errors: series.map((s) => (s.errors + s.rejected) / w),
    retries: series.map((s) => s.retries / w),
    routeSwitches: series.map((s) => s.routeSwitches),
    queueDepth: Object.fromEntries(lanes.map((l) => [l, series.map((s) => s.queueDepth[l] ?? 0)])),
    cpu: Object.fromEntries(clusters.map((c) => [c, series.map((s) => s.cpu[c] ?? 0)])),
    providers: providerBands(r),
    faults: r.events
      .filter((e) => e.kind === "fault" && e.endT !== undefined)
      .map((e) => ({
        start: e.t,
        end: e.endT ?? e.t,
        label: [e.providerId, e.to].filter(Boolean).join(" ") || e.message,
      })),
    distribution: DISTRIBUTION_QUANTILES.filter((q) => count > 0 && q <= 1 - 1 / count).map((q) => [
      q,
      hist.percentile(q * 100),
    ]),
    latencySample: quantileSample(hist, Math.min(count, RANK_SAMPLE_SIZE)),
    intervals,
    counters: { ...r.counters },
    replications: r.perReplication.map((p) => ({
      seed: p.seed,
      p50Ms: p.summary.p50,
      p95Ms: p.summary.p95,
      p99Ms: p.summary.p99,
      peakThroughput: p.summary.throughputPeak,
      cpuPeak: Math.max(0, ...Object.values(p.summary.cpuPeak)),
      errorRate: p.summary.errorRate,
      retries: p.summary.retries,
      ...optional("goodputPeak", p.summary.goodputPeak),
      ...optional("goodputMean", p.summary.goodputMean),
      ...optional("interventionsPerDay", p.summary.interventionsPerDay),
      ...optional("complaintRiskPerDay", p.summary.complaintRiskPerDay),
    })),
    thresholds: r.thresholds.map((t) => ({
      metric: t.metric,
      expression: t.expression,
      ok: t.pass,
      ...(t.observed === null ? {} : { actual: t.observed }),
    })),
    provenance: {
      kind: r.kind,
      role: r.config.role,
      seed: String(r.seeds.base),
      replications: String(r.replications),
      command: r.command.join(" "),
      rushhour: r.versions.rushhour,
      node: r.versions.node,
      startedAt: r.provenance.startedAt,
    },
    ...(r.topology ? { topology: r.topology } : {}),
    ...(r.chaos ? { chaos: r.chaos } : {}),
    ...(r.audit
      ? {
          audit: {
            pass: r.audit.pass,
            problems: r.audit.problems,
            summary:
              `${r.audit.totalOrders} orders, ${r.audit.totalCards} cards: ${r.audit.duplicateCards} duplicate cards, ` +
              `${r.audit.nonTerminalOrders} non-terminal orders, ${r.audit.failedHoldingCards} failed orders holding ` +
              `cards, ${r.audit.deliveredWithoutCard} delivered without a card`,
          },
        }
      : {}),
    ...(r.artifacts ? { artifacts: r.artifacts } : {}),
  };
}

function optional<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}

/**
 * n values at evenly spaced ranks of the histogram (the (i + 1/2)/n quantiles): a deterministic stand-in for
 * n draws, so the rank test sees the run's whole distribution without storing samples.
 */
export function quantileSample(hist: LatencyHistogram, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(hist.percentile((100 * (i + 0.5)) / n));
  return out;
}

function unionKeys(records: ReadonlyArray<Record<string, number>>): string[] {
  const keys = new Set<string>();
  for (const r of records) for (const k of Object.keys(r)) keys.add(k);
  return [...keys];
}

function providerBands(r: RunResult): Record<string, ProviderBand[]> {
  const out: Record<string, ProviderBand[]> = {};
  for (const s of r.series) {
    for (const p of s.providers) {
      const bands = out[p.id] ?? [];
      out[p.id] = bands;
      const last = bands[bands.length - 1];
      if (last && last.state === p.state && Math.abs(last.end - s.t) < 1e-9) last.end = s.t + r.windowSeconds;
      else bands.push({ start: s.t, end: s.t + r.windowSeconds, state: p.state });
    }
  }
  return out;
}
