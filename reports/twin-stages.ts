// The twin's stage table: where a delivered order's time goes on each side (results/stages.ts), so a
// P50 or P99 that disagrees can be traced to the stage that disagrees. Informational: the tolerances
// judge the whole order (reports/twin.ts), not its stages.
import { LatencyHistogram } from "../results/histogram.ts";
import type { RunResult } from "../results/run-result.ts";
import { STAGE_LABELS, STAGES, type Stage } from "../results/stages.ts";
import { escapeHtml } from "./html.ts";

export interface TwinStageRow {
  stage: Stage;
  label: string;
  simulated: { p50: number; p99: number };
  live: { p50: number; p99: number };
}

/** One row per stage both runs recorded; none when either was recorded without stages. */
export function compareStages(sim: RunResult, live: RunResult): TwinStageRow[] {
  const s = sim.histograms.byStage;
  const l = live.histograms.byStage;
  if (s === undefined || l === undefined) return [];
  const rows: TwinStageRow[] = [];
  for (const stage of STAGES) {
    if (s[stage] === undefined || l[stage] === undefined) continue;
    const hs = LatencyHistogram.decode(s[stage]);
    const hl = LatencyHistogram.decode(l[stage]);
    rows.push({
      stage,
      label: STAGE_LABELS[stage],
      simulated: { p50: hs.percentile(50), p99: hs.percentile(99) },
      live: { p50: hl.percentile(50), p99: hl.percentile(99) },
    });
  }
  return rows;
}

const ms = (v: number) => `${v.toFixed(1)} ms`;
const diff = (v: number) => `${v >= 0 ? "+" : ""}${v.toFixed(1)} ms`;

const INTRO =
  "Where a delivered order's time goes, stage by stage (the dispatch core's own timings on both sides; not judged):";

export function stagesMarkdown(rows: readonly TwinStageRow[]): string[] {
  if (rows.length === 0) return [];
  return [
    "",
    INTRO,
    "",
    "| stage | P50 simulated | P50 live | live - simulated | P99 simulated | P99 live | live - simulated |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows.map(
      (r) =>
        `| ${r.label} | ${ms(r.simulated.p50)} | ${ms(r.live.p50)} | ${diff(r.live.p50 - r.simulated.p50)} | ` +
        `${ms(r.simulated.p99)} | ${ms(r.live.p99)} | ${diff(r.live.p99 - r.simulated.p99)} |`,
    ),
  ];
}

export function stagesHtml(rows: readonly TwinStageRow[]): string {
  if (rows.length === 0) return "";
  const body = rows
    .map(
      (r) =>
        `<tr><td>${escapeHtml(r.label)}</td><td>${ms(r.simulated.p50)}</td><td>${ms(r.live.p50)}</td>` +
        `<td>${diff(r.live.p50 - r.simulated.p50)}</td><td>${ms(r.simulated.p99)}</td><td>${ms(r.live.p99)}</td>` +
        `<td>${diff(r.live.p99 - r.simulated.p99)}</td></tr>`,
    )
    .join("\n");
  return `<h3>Where the time goes</h3>
<p>${escapeHtml(INTRO)}</p>
<table><tr><th>stage</th><th>P50 simulated</th><th>P50 live</th><th>live - simulated</th><th>P99 simulated</th><th>P99 live</th><th>live - simulated</th></tr>
${body}
</table>`;
}
