// Tuning charts: the objective against each parameter over the design's first rung (one point per candidate,
// the mean per value as a line), and the Pareto front of objective against cost.
import { PALETTE } from "../charts/frame.ts";
import { lineChart } from "../charts/line.ts";
import type { ParetoPoint } from "./analysis.ts";

export function sensitivityChart(
  id: string,
  path: string,
  objectiveLabel: string,
  points: readonly { x: number | string | boolean; y: number }[],
  index: number,
): string {
  const numeric = points.every((p) => typeof p.x === "number");
  const labels = numeric ? [] : [...new Set(points.map((p) => String(p.x)))].sort();
  const xOf = (x: number | string | boolean) => (numeric ? (x as number) : labels.indexOf(String(x)));
  const byX = new Map<number, number[]>();
  for (const p of points) {
    const k = xOf(p.x);
    const list = byX.get(k);
    if (list) list.push(p.y);
    else byX.set(k, [p.y]);
  }
  const xs = [...byX.keys()].sort((a, b) => a - b);
  return lineChart({
    id,
    title: `${objectiveLabel} by ${path} (first-order index ${Number.isFinite(index) ? index.toFixed(2) : "n/a"})`,
    xLabel: path,
    yLabel: objectiveLabel,
    ...(numeric ? {} : { xTickValues: labels.map((_, i) => i), xTickFormat: (v: number) => labels[v] ?? "" }),
    series: [
      {
        name: "mean per value",
        x: xs,
        y: xs.map((x) => {
          const ys = byX.get(x)!;
          return ys.reduce((a, b) => a + b, 0) / ys.length;
        }),
        color: PALETTE[0],
      },
      {
        name: "candidates",
        x: points.map((p) => xOf(p.x)),
        y: points.map((p) => p.y),
        color: PALETTE[1],
        markers: true,
      },
    ],
  });
}

export function paretoChart(
  points: readonly ParetoPoint[],
  front: readonly ParetoPoint[],
  metricLabel: string,
): string {
  const sorted = [...points].sort((a, b) => a.cost - b.cost);
  return lineChart({
    id: "pareto",
    title: `Pareto front: ${metricLabel} against cost`,
    xLabel: "cost (price x parameter value)",
    yLabel: metricLabel,
    series: [
      {
        name: "candidate",
        x: sorted.map((p) => p.cost),
        y: sorted.map((p) => p.objective),
        color: PALETTE[1],
        markers: true,
      },
      {
        name: "Pareto front",
        x: front.map((p) => p.cost),
        y: front.map((p) => p.objective),
        color: PALETTE[2],
        markers: true,
      },
    ],
  });
}
