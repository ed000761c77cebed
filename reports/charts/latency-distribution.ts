import type { RunView } from "../model.ts";
import { PALETTE } from "./frame.ts";
import { lineChart } from "./line.ts";

const TICKS: Array<[number, string]> = [
  [0.5, "50%"],
  [0.9, "90%"],
  [0.99, "99%"],
  [0.999, "99.9%"],
  [0.9999, "99.99%"],
  [0.99999, "99.999%"],
];

/**
 * The HDR percentile plot: latency against percentile, with the x axis at 1/(1-q) on a log scale so the tail
 * (99%, 99.9%) gets as much room as the median. Baseline and candidate on the same axes.
 */
export function latencyDistributionChart(runs: RunView[]): string {
  const maxQ = Math.max(0.99, ...runs.flatMap((r) => r.distribution.map(([q]) => q)).filter((q) => q < 1));
  const ticks = TICKS.filter(([q]) => q <= maxQ + 1e-12);
  return lineChart({
    id: "latency-distribution",
    title: "Latency by percentile, whole run (HDR)",
    xLabel: "percentile (log scale of 1/(1-q))",
    yLabel: "latency (ms, log)",
    yLog: true,
    xLog: true,
    xTickValues: ticks.map(([q]) => 1 / (1 - q)),
    xTickFormat: (v) => ticks.find(([q]) => Math.abs(1 / (1 - q) - v) / v < 1e-6)?.[1] ?? "",
    series: runs.map((r, i) => {
      const pts = r.distribution.filter(([q]) => q < 1 && q >= 0);
      return {
        name: r.config,
        x: pts.map(([q]) => 1 / (1 - q)),
        y: pts.map(([, ms]) => ms),
        color: PALETTE[i % PALETTE.length],
      };
    }),
  });
}
