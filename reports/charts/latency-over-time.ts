import type { RunView } from "../model.ts";
import { type LineSeries, PALETTE } from "./frame.ts";
import { lineChart } from "./line.ts";

/** P50 / P95 / P99 per window for each run; P99 solid, P95 dashed, P50 thin and light. */
export function latencyOverTimeChart(runs: RunView[]): string {
  const series: LineSeries[] = runs.flatMap((r, i) => {
    const color = PALETTE[i % PALETTE.length] ?? "#000";
    return [
      { name: `${r.config} P99`, x: r.time, y: r.p99Ms, color },
      { name: `${r.config} P95`, x: r.time, y: r.p95Ms, color, dashed: true },
      { name: `${r.config} P50`, x: r.time, y: r.p50Ms, color: lighten(color) },
    ];
  });
  return lineChart({
    id: "latency-over-time",
    title: "Latency percentiles over time (fault windows shaded)",
    xLabel: "time since start",
    yLabel: "latency, submit to delivery (ms, log)",
    // Log scale: a 40 s legacy tail and a 200 ms adaptive P50 must both stay readable on one chart.
    yLog: true,
    xTime: true,
    series,
    bands: runs[0]?.faults ?? [],
  });
}

function lighten(hex: string): string {
  const n = Number.parseInt(hex.slice(1), 16);
  const mix = (c: number) => Math.round(c + (255 - c) * 0.55);
  const r = mix((n >> 16) & 255);
  const g = mix((n >> 8) & 255);
  const b = mix(n & 255);
  return `#${((r << 16) | (g << 8) | b).toString(16).padStart(6, "0")}`;
}
