import type { RunView } from "../model.ts";
import { type LineSeries, PALETTE, percent } from "./frame.ts";
import { lineChart } from "./line.ts";

/** CPU utilisation per cluster over time; one colour per run, one dash style per cluster. */
export function cpuChart(runs: RunView[]): string {
  const series: LineSeries[] = runs.flatMap((r, i) =>
    Object.entries(r.cpu).map(([cluster, values], j) => ({
      name: `${r.config} ${cluster}`,
      x: r.time,
      y: values,
      color: PALETTE[i % PALETTE.length],
      dashed: j > 0,
    })),
  );
  return lineChart({
    id: "cpu",
    title: "CPU utilisation per cluster",
    xLabel: "time since start",
    yLabel: "CPU utilisation",
    xTime: true,
    yTickFormat: percent,
    yMin: 0,
    yMax: 1,
    series,
    bands: runs[0]?.faults ?? [],
  });
}
