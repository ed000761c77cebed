import type { RunView } from "../model.ts";
import { PALETTE } from "./frame.ts";
import { lineChart } from "./line.ts";

/** Delivered orders per second over time, one line per run, fault windows shaded. */
export function throughputChart(runs: RunView[]): string {
  return lineChart({
    id: "throughput",
    title: "Throughput over time",
    xLabel: "time since start",
    yLabel: "delivered orders/s",
    xTime: true,
    series: runs.map((r, i) => ({ name: r.config, x: r.time, y: r.throughput, color: PALETTE[i] })),
    bands: runs[0]?.faults ?? [],
  });
}
