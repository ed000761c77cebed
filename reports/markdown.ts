// The Markdown summary a pull request shows: one verdict line and one before/after table per scenario.
import {
  type Comparison,
  directionText,
  formatChange,
  formatValue,
  type MetricRow,
  methodNote,
} from "./compare.ts";
import type { ScenarioGroup } from "./load-runs.ts";

const MARK: Record<MetricRow["verdict"], string> = {
  better: "better",
  worse: "**worse**",
  "no significant change": "no significant change",
  "not tested": "not tested",
};

/** "promo-peak: better — goodput 1,398/s → 1,557/s (+11% [..]), P99 27,028 ms → 260 ms (-99% [..]), legacy → adaptive". */
export function verdictLine(c: Comparison): string {
  const h = c.headline;
  const p = c.p99;
  const name = h.key === "goodputPeak" ? "goodput" : "peak throughput";
  return (
    `${c.scenario}: ${c.verdict} — ${name} ${formatValue(h.before, h.unit)} → ${formatValue(h.after, h.unit)} ` +
    `(${formatChange(h)}), P99 ${formatValue(p.before, "ms")} → ${formatValue(p.after, "ms")} ` +
    `(${formatChange(p)}), ${c.baseline} → ${c.candidate}`
  );
}

export function comparisonTable(c: Comparison): string {
  const lines = [
    `| metric | before (${c.baseline}) | after (${c.candidate}) | change [95% CI] | direction | verdict |`,
    "| --- | ---: | ---: | ---: | --- | --- |",
  ];
  for (const row of c.rows) {
    lines.push(
      `| ${row.label} | ${formatValue(row.before, row.unit)} | ${formatValue(row.after, row.unit)} | ` +
        `${formatChange(row)} | ${directionText(row.direction)} | ${MARK[row.verdict]} |`,
    );
  }
  return lines.join("\n");
}

export function markdownSummary(groups: readonly ScenarioGroup[], htmlName = "index.html"): string {
  const out: string[] = ["# rushhour report", ""];
  const compared = groups.filter((g) => g.comparison);
  if (compared.length > 0) {
    out.push("## Verdicts (goodput and P99)", "");
    for (const g of compared) out.push(`- ${verdictLine(g.comparison!)}`);
    out.push("");
  }
  for (const g of groups) {
    out.push(`## ${g.scenario} (${g.kind})`, "");
    if (g.comparison) {
      out.push(comparisonTable(g.comparison), "");
      out.push(`Intervals: ${methodNote(g.comparison.p99)}.`);
      const rank = g.comparison.rank;
      if (rank) {
        out.push(
          `Rank test: P(candidate latency > baseline) = ${rank.probabilityOfSuperiority.toFixed(3)}, ` +
            `Cliff's delta ${rank.cliffsDelta.toFixed(3)}, ${formatP(rank.p)} (Mann-Whitney on HDR-derived samples).`,
        );
      }
      out.push("");
    } else {
      for (const r of g.runs)
        out.push(`- ${r.config}: P99 ${formatValue(mean(r.replications.map((x) => x.p99Ms)), "ms")}`);
      out.push("");
    }
    const failed = g.runs.flatMap((r) => r.thresholds.filter((t) => !t.ok).map((t) => ({ r, t })));
    if (failed.length > 0) {
      out.push("Failed thresholds:", "");
      for (const { r, t } of failed) {
        out.push(
          `- ${r.config}: \`${t.metric}: ${t.expression}\` (observed ${t.actual === undefined ? "n/a" : Number(t.actual.toPrecision(4))})`,
        );
      }
      out.push("");
    }
    const dup = g.runs.filter((r) => (r.counters.duplicateCards ?? 0) > 0);
    for (const r of dup)
      out.push(`- **${r.config}: ${r.counters.duplicateCards} duplicate cards (must be 0)**`);
  }
  out.push(`Full report with charts: \`${htmlName}\``, "");
  return out.join("\n");
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN;
}

/** "p < 0.001" or "p = 0.042". */
export function formatP(p: number): string {
  if (p < 0.001) return "p < 0.001";
  return `p = ${p.toFixed(3)}`;
}
