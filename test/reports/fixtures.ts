// Synthetic RunViews with known shapes, so renderers and tables are tested without running a simulation.
import type { RunView } from "../../reports/model.ts";

export interface FixtureOptions {
  config: string;
  role?: RunView["role"];
  scenario?: string;
  /** Multiplies every latency. */
  latencyScale?: number;
  peak?: number;
  cpuPeak?: number;
  retries?: number;
  seeds?: number[];
}

export function fixtureRun(o: FixtureOptions): RunView {
  const n = 60;
  const scale = o.latencyScale ?? 1;
  const peak = o.peak ?? 1000;
  const cpuPeak = o.cpuPeak ?? 0.7;
  const time = Array.from({ length: n }, (_, i) => i * 5);
  const load = time.map((_, i) => Math.sin((Math.PI * i) / (n - 1)));
  const seeds = o.seeds ?? [1, 2, 3];
  return {
    label: `${o.scenario ?? "fixture"} / ${o.config}`,
    scenario: o.scenario ?? "fixture",
    config: o.config,
    role: o.role ?? "single",
    kind: "sim",
    windowSeconds: 5,
    time,
    throughput: load.map((l) => l * peak),
    p50Ms: load.map((l) => (100 + 200 * l) * scale),
    p95Ms: load.map((l) => (300 + 600 * l) * scale),
    p99Ms: load.map((l) => (500 + 1500 * l) * scale),
    errors: load.map((l) => l * 2),
    retries: load.map((l) => l * (o.retries ?? 10)),
    routeSwitches: load.map((l, i) => (l > 0.8 && i % 7 === 0 ? 1 : 0)),
    queueDepth: { vip: load.map((l) => l * 5), default: load.map((l) => l * 40 * scale) },
    cpu: { primary: load.map((l) => l * cpuPeak), backup: load.map((l) => l * cpuPeak * 0.5) },
    providers: {
      "prov-a": [
        { start: 0, end: 100, state: "HEALTHY" },
        { start: 100, end: 140, state: "ISOLATED" },
        { start: 140, end: 150, state: "PROBING" },
        { start: 150, end: 300, state: "HEALTHY" },
      ],
      "prov-b": [{ start: 0, end: 300, state: "HEALTHY" }],
    },
    faults: [{ start: 100, end: 160, label: "prov-a timeout" }],
    distribution: [0, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 0.9999].map((q) => [
      q,
      (50 + 2000 * q ** 8) * scale,
    ]),
    intervals: {
      p50Ms: { lowMs: 295 * scale, highMs: 305 * scale, count: 100000 },
      p95Ms: { lowMs: 890 * scale, highMs: 910 * scale, count: 100000 },
      p99Ms: { lowMs: 1980 * scale, highMs: 2020 * scale, count: 100000 },
    },
    latencySample: Array.from({ length: 200 }, (_, i) => (50 + 2000 * ((i + 0.5) / 200) ** 8) * scale),
    counters: { delivered: 100000, failed: 10, rejected: 5, retried: 300, duplicateCards: 0 },
    replications: seeds.map((seed, k) => ({
      seed,
      p50Ms: 300 * scale * (1 + 0.01 * k),
      p95Ms: 900 * scale * (1 + 0.01 * k),
      p99Ms: 2000 * scale * (1 + 0.01 * k),
      peakThroughput: peak * (1 - 0.01 * k),
      cpuPeak,
      errorRate: 0.0015,
      retries: (o.retries ?? 10) * 30 + k,
    })),
    thresholds: [
      { metric: "latency", expression: "p(99)<3000", ok: 2000 * scale < 3000, actual: 2000 * scale },
    ],
    provenance: { seed: String(seeds[0]), command: "fixture" },
  };
}
