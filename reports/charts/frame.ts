// Shared layout for every chart: one SVG document per chart, built with d3 on d3-node's DOM and returned as a
// string. Text is set as attributes (not CSS) because resvg, which rasterises the PNG copies, ignores most CSS.
import { D3Node } from "d3-node";
import type { FaultWindow } from "../model.ts";

export const WIDTH = 760;
export const HEIGHT = 300;
export const MARGIN = { top: 34, right: 150, bottom: 44, left: 64 };
export const FONT = "DejaVu Sans, Verdana, sans-serif";

/** Colour-blind-safe (Okabe-Ito) palette; the first two are baseline and candidate everywhere. */
export const PALETTE = [
  "#0072B2",
  "#D55E00",
  "#009E73",
  "#CC79A7",
  "#E69F00",
  "#56B4E9",
  "#F0E442",
  "#000000",
];

export interface LineSeries {
  name: string;
  x: number[];
  y: number[];
  color?: string;
  dashed?: boolean;
  /** Draw markers at the points instead of a line (measurements, as against a model). */
  markers?: boolean;
}

export interface LineChartSpec {
  /** Stable id, also the PNG file name: "throughput". */
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  /** Shaded windows (faults) on the x axis. */
  bands?: FaultWindow[];
  xLog?: boolean;
  yLog?: boolean;
  xTickValues?: number[];
  xTickFormat?: (v: number) => string;
  yTickFormat?: (v: number) => string;
  /** The x axis is time in seconds: ticks at round steps (10s, 30s, 1m, 5m...). */
  xTime?: boolean;
  /** Lower bound of the y axis when linear; 0 unless given. */
  yMin?: number;
  yMax?: number;
  /** Horizontal reference lines (objectives), labelled. */
  hLines?: Array<{ y: number; label: string }>;
}

export type Svg = ReturnType<D3Node["createSVG"]>;

export interface Frame {
  node: D3Node;
  svg: Svg;
  plot: ReturnType<Svg["append"]>;
  innerWidth: number;
  innerHeight: number;
}

/** The SVG root with the title and the plot group translated into the margins. */
export function frame(id: string, title: string, height = HEIGHT): Frame {
  const node = new D3Node();
  const svg = node.createSVG(WIDTH, height, {
    viewBox: `0 0 ${WIDTH} ${height}`,
    "font-family": FONT,
    "font-size": 11,
    "data-chart": id,
    role: "img",
    "aria-label": title,
  });
  svg.append("rect").attr("width", WIDTH).attr("height", height).attr("fill", "#ffffff");
  svg
    .append("text")
    .attr("x", MARGIN.left)
    .attr("y", 20)
    .attr("font-size", 14)
    .attr("font-weight", "bold")
    .attr("fill", "#222")
    .text(title);
  const plot = svg.append("g").attr("transform", `translate(${MARGIN.left},${MARGIN.top})`);
  return {
    node,
    svg,
    plot,
    innerWidth: WIDTH - MARGIN.left - MARGIN.right,
    innerHeight: height - MARGIN.top - MARGIN.bottom,
  };
}

export function noData(f: Frame, message = "no data in these runs"): string {
  f.plot
    .append("text")
    .attr("x", f.innerWidth / 2)
    .attr("y", f.innerHeight / 2)
    .attr("text-anchor", "middle")
    .attr("fill", "#888")
    .attr("class", "no-data")
    .text(message);
  return f.node.svgString();
}

export function axisLabels(f: Frame, xLabel: string, yLabel: string): void {
  f.plot
    .append("text")
    .attr("x", f.innerWidth / 2)
    .attr("y", f.innerHeight + 36)
    .attr("text-anchor", "middle")
    .attr("fill", "#222")
    .text(xLabel);
  f.plot
    .append("text")
    .attr("transform", `translate(${-48},${f.innerHeight / 2}) rotate(-90)`)
    .attr("text-anchor", "middle")
    .attr("fill", "#222")
    .text(yLabel);
}

export interface LegendItem {
  name: string;
  color: string;
  dashed?: boolean;
  swatch?: "line" | "box" | "dot";
}

export function legend(f: Frame, items: LegendItem[]): void {
  const g = f.plot
    .append("g")
    .attr("class", "legend")
    .attr("transform", `translate(${f.innerWidth + 14},0)`);
  items.forEach((item, i) => {
    const row = g.append("g").attr("transform", `translate(0,${i * 16})`);
    if (item.swatch === "dot") {
      row.append("circle").attr("cx", 8).attr("cy", -3).attr("r", 3.5).attr("fill", item.color);
    } else if (item.swatch === "box") {
      row.append("rect").attr("width", 14).attr("height", 10).attr("y", -8).attr("fill", item.color);
    } else {
      row
        .append("line")
        .attr("x1", 0)
        .attr("x2", 16)
        .attr("y1", -3)
        .attr("y2", -3)
        .attr("stroke", item.color)
        .attr("stroke-width", 2)
        .attr("stroke-dasharray", item.dashed ? "4 3" : null);
    }
    row.append("text").attr("x", 20).attr("y", 0).attr("fill", "#222").text(truncate(item.name, 20));
  });
}

function truncate(text: string, n: number): string {
  return text.length <= n ? text : `${text.slice(0, n - 1)}…`;
}

/** Compact number labels: 1500 -> "1.5k". */
export function compact(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${trim(v / 1e6)}M`;
  if (a >= 1e3) return `${trim(v / 1e3)}k`;
  return trim(v);
}

function trim(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(3)));
}

export function percent(v: number): string {
  return `${trim(v * 100)}%`;
}

/** Seconds as "45s", "2m", "2m30s", "1h", "1h30m" for time axes. */
export function duration(s: number): string {
  const t = Math.round(s);
  if (Math.abs(t - s) > 1e-6) return `${trim(s)}s`;
  if (t < 60) return `${t}s`;
  if (t < 3600) return t % 60 === 0 ? `${t / 60}m` : `${Math.floor(t / 60)}m${t % 60}s`;
  const m = Math.round((t % 3600) / 60);
  return m === 0 ? `${Math.floor(t / 3600)}h` : `${Math.floor(t / 3600)}h${m}m`;
}

const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400];

/** Tick values at a round time step, at most `max` of them. */
export function timeTicks(from: number, to: number, max = 8): number[] {
  const span = Math.max(to - from, 1);
  const step = TIME_STEPS.find((s) => span / s <= max) ?? Math.ceil(span / max / 3600) * 3600;
  const out: number[] = [];
  for (let v = Math.ceil(from / step) * step; v <= to + 1e-9; v += step) out.push(v);
  return out;
}

/** 1-2-5 tick values for a log axis. */
export function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
    }
  }
  return out;
}
