import type { RunView } from "../model.ts";
import { PALETTE } from "./frame.ts";
import { lineChart } from "./line.ts";

/**
 * Delivered orders per second over time, one solid line per run, and its goodput (orders submitted in the
 * window and delivered within the objective, per second) dashed where the run has it; fault windows shaded.
 */
export function throughputChart(runs: RunView[]): string {
  return lineChart({
    id: "throughput",
    title: "Throughput over time",
    xLabel: "time since start",
    yLabel: "delivered orders/s",
    xTime: true,
    series: runs.flatMap((r, i) => [
      { name: r.config, x: r.time, y: r.throughput, color: PALETTE[i] },
      ...(r.goodput
        ? [{ name: `${r.config} goodput`, x: r.time, y: r.goodput, color: PALETTE[i], dashed: true }]
        : []),
    ]),
    bands: runs[0]?.faults ?? [],
  });
}
