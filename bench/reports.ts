// Report rendering costs, measured side by side in one run: SVG (d3 on jsdom) against PNG (resvg) per chart,
// and the comparison statistics (bootstrap + rank test) against one chart. Synthetic runs of 300 windows.
import { CHARTS } from "../reports/charts/index.ts";
import { compareRuns } from "../reports/compare.ts";
import type { RunView } from "../reports/model.ts";
import { findFont, svgToPng } from "../reports/png.ts";

function syntheticRun(config: string, scale: number): RunView {
  const n = 300;
  const time = Array.from({ length: n }, (_, i) => i);
  const load = time.map((_, i) => Math.sin((Math.PI * i) / (n - 1)));
  return {
    label: `bench / ${config}`,
    scenario: "bench",
    config,
    role: scale > 1 ? "baseline" : "candidate",
    kind: "sim",
    windowSeconds: 1,
    time,
    throughput: load.map((l) => 1500 * l),
    p50Ms: load.map((l) => (50 + 100 * l) * scale),
    p95Ms: load.map((l) => (150 + 300 * l) * scale),
    p99Ms: load.map((l) => (250 + 900 * l) * scale),
    errors: load.map(() => 0),
    retries: load.map((l) => 10 * l),
    routeSwitches: load.map((_, i) => (i % 50 === 0 ? 1 : 0)),
    queueDepth: {
      vip: load.map((l) => 3 * l),
      default: load.map((l) => 80 * l),
      overflow: load.map((l) => 9 * l),
    },
    cpu: { primary: load.map((l) => 0.8 * l), backup: load.map((l) => 0.4 * l) },
    providers: {
      p1: [{ start: 0, end: 300, state: "HEALTHY" }],
      p2: [{ start: 0, end: 300, state: "HEALTHY" }],
    },
    faults: [{ start: 100, end: 160, label: "p2 timeout" }],
    distribution: [0.5, 0.9, 0.99, 0.999].map((q) => [q, 1000 * q * scale]),
    latencySample: Array.from({ length: 2000 }, (_, i) => (i + 1) * scale),
    intervals: {},
    counters: { delivered: 1, duplicateCards: 0 },
    replications: [1, 2, 3, 4, 5].map((seed) => ({
      seed,
      p50Ms: 100 * scale + seed,
      p95Ms: 400 * scale + seed,
      p99Ms: 1100 * scale + seed,
      peakThroughput: 1500 - seed,
      cpuPeak: 0.8,
      errorRate: 0,
      retries: 300 + seed,
    })),
    thresholds: [],
    provenance: {},
  };
}

function time(fn: () => void, reps: number): number {
  fn();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) fn();
  return (performance.now() - t0) / reps;
}

export async function run(): Promise<void> {
  const runs = [syntheticRun("legacy", 3), syntheticRun("adaptive", 1)];
  const font = findFont();
  let svgTotal = 0;
  let pngTotal = 0;
  for (const c of CHARTS) {
    const svg = c.render(runs);
    const svgMs = time(() => c.render(runs), 5);
    const pngMs = time(() => svgToPng(svg, font), 5);
    svgTotal += svgMs;
    pngTotal += pngMs;
    console.log(
      `${c.id.padEnd(22)} svg ${svgMs.toFixed(1).padStart(6)} ms  png ${pngMs.toFixed(1).padStart(6)} ms`,
    );
  }
  const cmpMs = time(() => compareRuns(runs[0]!, runs[1]!), 5);
  console.log(
    `all ${CHARTS.length} charts: svg ${svgTotal.toFixed(0)} ms, png ${pngTotal.toFixed(0)} ms (png/svg ${(pngTotal / svgTotal).toFixed(2)})`,
  );
  console.log(
    `compareRuns (7 bootstraps x 4000 resamples + rank test on 2x2000): ${cmpMs.toFixed(1)} ms = ${(cmpMs / (svgTotal / CHARTS.length)).toFixed(2)} charts`,
  );
}
