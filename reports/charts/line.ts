// The one line-chart renderer the time-series charts share: linear or log axes, shaded fault windows, legend.
import * as d3 from "d3";
import {
  axisLabels,
  compact,
  duration,
  frame,
  type LineChartSpec,
  legend,
  logTicks,
  noData,
  PALETTE,
  timeTicks,
} from "./frame.ts";

export function lineChart(spec: LineChartSpec): string {
  const f = frame(spec.id, spec.title);
  const points = spec.series.flatMap((s) =>
    s.x.map((x, i) => [x, s.y[i] ?? Number.NaN] as const).filter(([x, y]) => usable(x, y, spec)),
  );
  if (points.length === 0) return noData(f);

  const [x0, x1] = d3.extent(points, (p) => p[0]) as [number, number];
  const yValues = points.map((p) => p[1]);
  const yTop = spec.yMax ?? Math.max(...yValues);
  const yBottom = spec.yLog ? Math.min(...yValues) : (spec.yMin ?? Math.min(0, ...yValues));
  const x = (spec.xLog ? d3.scaleLog() : d3.scaleLinear())
    .domain([x0, x1 > x0 ? x1 : x0 + 1])
    .range([0, f.innerWidth]);
  const y = (spec.yLog ? d3.scaleLog() : d3.scaleLinear())
    .domain([yBottom, yTop > yBottom ? yTop : yBottom + 1])
    .range([f.innerHeight, 0]);
  y.nice();

  const bandLayer = f.plot.append("g").attr("class", "fault-windows");
  for (const [i, band] of (spec.bands ?? []).entries()) {
    const a = Math.max(x(band.start), 0);
    const b = Math.min(x(band.end), f.innerWidth);
    if (!(b > a)) continue;
    bandLayer
      .append("rect")
      .attr("class", "fault")
      .attr("x", a)
      .attr("width", b - a)
      .attr("y", 0)
      .attr("height", f.innerHeight)
      .attr("fill", "#d62728")
      .attr("fill-opacity", 0.12);
    bandLayer
      .append("text")
      .attr("x", a + 3)
      // Staggered, so labels of overlapping windows stay readable.
      .attr("y", 11 + 11 * (i % 3))
      .attr("font-size", 9)
      .attr("fill", "#a11")
      .text(band.label);
  }

  const xAxis = d3.axisBottom(x).ticks(8);
  if (spec.xTickValues) xAxis.tickValues(spec.xTickValues);
  else if (spec.xTime) xAxis.tickValues(timeTicks(x.domain()[0]!, x.domain()[1]!));
  xAxis.tickFormat((v) => (spec.xTickFormat ?? (spec.xTime ? duration : compact))(Number(v)));
  const yTickValues = spec.yLog ? logTicks(y.domain()[0]!, y.domain()[1]!) : y.ticks(6);
  const yAxis = d3
    .axisLeft(y)
    .tickValues(yTickValues)
    .tickFormat((v) => (spec.yTickFormat ?? compact)(Number(v)));
  f.plot.append("g").attr("transform", `translate(0,${f.innerHeight})`).call(xAxis);
  f.plot.append("g").call(yAxis);
  f.plot
    .append("g")
    .attr("class", "grid")
    .selectAll("line")
    .data(yTickValues)
    .enter()
    .append("line")
    .attr("x1", 0)
    .attr("x2", f.innerWidth)
    .attr("y1", (v) => y(v))
    .attr("y2", (v) => y(v))
    .attr("stroke", "#000")
    .attr("stroke-opacity", 0.07);

  const line = d3
    .line<readonly [number, number]>()
    .defined(([px, py]) => usable(px, py, spec))
    .x(([px]) => x(px))
    .y(([, py]) => y(py));
  for (const h of spec.hLines ?? []) {
    const hy = y(h.y);
    if (!(hy >= 0 && hy <= f.innerHeight)) continue;
    f.plot
      .append("line")
      .attr("class", "objective")
      .attr("x1", 0)
      .attr("x2", f.innerWidth)
      .attr("y1", hy)
      .attr("y2", hy)
      .attr("stroke", "#d62728")
      .attr("stroke-dasharray", "6 4");
    f.plot
      .append("text")
      .attr("x", f.innerWidth - 4)
      .attr("y", hy - 4)
      .attr("text-anchor", "end")
      .attr("font-size", 10)
      .attr("fill", "#a11")
      .text(h.label);
  }

  spec.series.forEach((s, i) => {
    const data = s.x.map((px, j) => [px, s.y[j] ?? Number.NaN] as const);
    if (s.markers) {
      f.plot
        .append("g")
        .attr("class", "series-markers")
        .attr("data-series", s.name)
        .selectAll("circle")
        .data(data.filter(([px, py]) => usable(px, py, spec)))
        .enter()
        .append("circle")
        .attr("class", "marker")
        .attr("cx", ([px]) => x(px))
        .attr("cy", ([, py]) => y(py))
        .attr("r", 4)
        .attr("fill", s.color ?? PALETTE[i % PALETTE.length] ?? "#000");
      return;
    }
    f.plot
      .append("path")
      .attr("class", "series")
      .attr("data-series", s.name)
      .attr("fill", "none")
      .attr("stroke", s.color ?? PALETTE[i % PALETTE.length] ?? "#000")
      .attr("stroke-width", 1.6)
      .attr("stroke-dasharray", s.dashed ? "5 3" : null)
      .attr("d", line(data) ?? "");
  });

  axisLabels(f, spec.xLabel, spec.yLabel);
  legend(
    f,
    spec.series.map((s, i) => ({
      name: s.name,
      color: s.color ?? PALETTE[i % PALETTE.length] ?? "#000",
      dashed: s.dashed ?? false,
      ...(s.markers ? { swatch: "dot" as const } : {}),
    })),
  );
  return f.node.svgString();
}

function usable(x: number, y: number, spec: LineChartSpec): boolean {
  if (!Number.isFinite(x) || !Number.isFinite(y)) return false;
  if (spec.xLog && x <= 0) return false;
  if (spec.yLog && y <= 0) return false;
  return true;
}
