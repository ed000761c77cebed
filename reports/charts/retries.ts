import type { RunView } from "../model.ts";
import { type LineSeries, PALETTE } from "./frame.ts";
import { lineChart } from "./line.ts";

/** Retries per second (solid) and route switches per window (dashed), per run. */
export function retriesChart(runs: RunView[]): string {
  const series: LineSeries[] = runs.flatMap((r, i) => [
    { name: `${r.config} retries/s`, x: r.time, y: r.retries, color: PALETTE[i % PALETTE.length] },
    {
      name: `${r.config} route switches`,
      x: r.time,
      y: r.routeSwitches,
      color: PALETTE[i % PALETTE.length],
      dashed: true,
    },
  ]);
  return lineChart({
    id: "retries",
    title: "Retries and route switches",
    xLabel: "time since start",
    yLabel: "retries/s · switches per window",
    xTime: true,
    series,
    bands: runs[0]?.faults ?? [],
  });
}
