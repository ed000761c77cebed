import * as d3 from "d3";
import type { RunView } from "../model.ts";
import { duration, frame, legend, MARGIN, noData, timeTicks } from "./frame.ts";

export const STATE_COLORS: Record<string, string> = {
  HEALTHY: "#2ca02c",
  SUB_HEALTHY: "#E69F00",
  ISOLATED: "#d62728",
  PROBING: "#56B4E9",
};
const OTHER = "#999999";
const ROW = 18;

/** One row per (run, provider): coloured bands for the provider's health state over time. */
export function providerHealthChart(runs: RunView[]): string {
  const rows = runs.flatMap((r) =>
    Object.entries(r.providers).map(([provider, bands]) => ({ label: `${r.config} · ${provider}`, bands })),
  );
  const height = Math.max(160, MARGIN.top + MARGIN.bottom + rows.length * ROW + 10);
  const f = frame("provider-health", "Provider health timeline", height);
  const end = Math.max(0, ...rows.flatMap((row) => row.bands.map((b) => b.end)));
  if (rows.length === 0 || end <= 0) return noData(f, "no provider states recorded");

  // Row labels sit inside the plot's left part, so the band area starts after them.
  const labelWidth = 150;
  const x = d3.scaleLinear().domain([0, end]).range([labelWidth, f.innerWidth]);
  rows.forEach((row, i) => {
    const y = i * ROW;
    f.plot
      .append("text")
      .attr("x", labelWidth - 6)
      .attr("y", y + ROW * 0.68)
      .attr("text-anchor", "end")
      .attr("font-size", 10)
      .attr("fill", "#222")
      .text(row.label);
    for (const band of row.bands) {
      const w = x(band.end) - x(band.start);
      if (!(w > 0)) continue;
      f.plot
        .append("rect")
        .attr("class", "state-band")
        .attr("data-state", band.state)
        .attr("x", x(band.start))
        .attr("y", y + 2)
        .attr("width", w)
        .attr("height", ROW - 4)
        .attr("fill", STATE_COLORS[band.state] ?? OTHER);
    }
  });
  const axisY = rows.length * ROW + 4;
  f.plot
    .append("g")
    .attr("transform", `translate(0,${axisY})`)
    .call(
      d3
        .axisBottom(x)
        .tickValues(timeTicks(0, end))
        .tickFormat((v) => duration(Number(v))),
    );
  f.plot
    .append("text")
    .attr("x", (labelWidth + f.innerWidth) / 2)
    .attr("y", axisY + 32)
    .attr("text-anchor", "middle")
    .attr("fill", "#222")
    .text("time since start");
  const seen = new Set(rows.flatMap((row) => row.bands.map((b) => b.state)));
  const states = [...Object.keys(STATE_COLORS), ...[...seen].filter((s) => !(s in STATE_COLORS))];
  legend(
    f,
    states.map((s) => ({ name: s, color: STATE_COLORS[s] ?? OTHER, swatch: "box" as const })),
  );
  return f.node.svgString();
}
