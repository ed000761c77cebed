// Capacity charts: the USL fit over measured throughput by concurrency, its residuals, and the capacity
// search's probes (P99 by arrival rate against the objective).
import type { Probe } from "../capacity/search.ts";
import { type UslFit, type UslPoint, uslThroughput } from "../capacity/usl.ts";
import { PALETTE } from "./frame.ts";
import { lineChart } from "./line.ts";

export function uslChart(points: readonly UslPoint[], fit: UslFit): string {
  const maxN = Math.max(
    ...points.map((p) => p.n),
    Number.isFinite(fit.nStar) ? Math.min(fit.nStar * 1.5, 1e4) : 0,
  );
  const curveN = Array.from({ length: 101 }, (_, i) => 1 + ((maxN - 1) * i) / 100);
  const nStar = Number.isFinite(fit.nStar) ? `N* = ${fit.nStar.toFixed(1)}` : "no peak (beta = 0)";
  return lineChart({
    id: "usl",
    title: `Universal Scalability Law: alpha ${fit.alpha.toFixed(4)}, beta ${fit.beta.toExponential(2)}, ${nStar}`,
    xLabel: "concurrency N (virtual users)",
    yLabel: "throughput (orders/s)",
    series: [
      {
        name: "measured",
        x: points.map((p) => p.n),
        y: points.map((p) => p.x),
        color: PALETTE[0],
        markers: true,
      },
      { name: "USL fit", x: curveN, y: curveN.map((n) => uslThroughput(fit, n)), color: PALETTE[1] },
    ],
  });
}

export function uslResidualChart(points: readonly UslPoint[], fit: UslFit): string {
  return lineChart({
    id: "usl-residuals",
    title: `USL residuals (measured - fitted), R² = ${fit.r2.toFixed(3)}`,
    xLabel: "concurrency N (virtual users)",
    yLabel: "residual (orders/s)",
    yMin: Math.min(0, ...fit.residuals),
    hLines: [{ y: 0, label: "" }],
    series: [
      { name: "residual", x: points.map((p) => p.n), y: fit.residuals, color: PALETTE[2], markers: true },
    ],
  });
}

export function capacitySearchChart(probes: readonly Probe[], objectiveMs: number): string {
  const sorted = [...probes].sort((a, b) => a.rate - b.rate);
  return lineChart({
    id: "capacity-search",
    title: "Capacity search: P99 by constant arrival rate (simulated)",
    xLabel: "arrival rate (orders/s)",
    yLabel: "P99 latency (ms, log)",
    yLog: true,
    hLines: [{ y: objectiveMs, label: `objective P99 < ${objectiveMs} ms` }],
    series: [
      {
        name: "P99",
        x: sorted.map((p) => p.rate),
        y: sorted.map((p) => Math.max(p.p99Ms, 0.1)),
        color: PALETTE[0],
      },
      {
        name: "met",
        x: sorted.filter((p) => p.ok).map((p) => p.rate),
        y: sorted.filter((p) => p.ok).map((p) => Math.max(p.p99Ms, 0.1)),
        color: PALETTE[2],
        markers: true,
      },
      {
        name: "missed",
        x: sorted.filter((p) => !p.ok).map((p) => p.rate),
        y: sorted.filter((p) => !p.ok).map((p) => Math.max(p.p99Ms, 0.1)),
        color: "#d62728",
        markers: true,
      },
    ],
  });
}
