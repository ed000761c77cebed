import type { RunView } from "../model.ts";
import { type LineSeries, PALETTE } from "./frame.ts";
import { lineChart } from "./line.ts";

/** Orders waiting per lane over time; one colour per lane, solid for the first run, dashed for the second. */
export function queueDepthChart(runs: RunView[]): string {
  const lanes = [...new Set(runs.flatMap((r) => Object.keys(r.queueDepth)))];
  const series: LineSeries[] = runs.flatMap((r, i) =>
    Object.entries(r.queueDepth).map(([lane, values]) => ({
      name: `${r.config} ${lane}`,
      x: r.time,
      y: values,
      color: PALETTE[(lanes.indexOf(lane) + 2) % PALETTE.length],
      dashed: i > 0,
    })),
  );
  return lineChart({
    id: "queue-depth",
    title: "Queue depth per lane",
    xLabel: "time since start",
    yLabel: "orders waiting",
    xTime: true,
    series,
    bands: runs[0]?.faults ?? [],
  });
}
