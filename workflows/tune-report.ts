// The "Tuning" report of `rushhour tune`: index.html (findings, charts, every candidate with its status and
// reason), tuning.md, tune.json, charts/*.png and recommended-config.json (the best configuration as a config
// file any command reads, `{"extends": ..., overrides}`).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { escapeHtml } from "../reports/html.ts";
import { findFont, svgToPng } from "../reports/png.ts";
import type { Agreement } from "../reports/tuning/analysis.ts";
import { paretoChart, sensitivityChart } from "../reports/tuning/charts.ts";
import type { Interval } from "../results/stats.ts";
import { firstRungOf, fmt, type PairedResult, type TuneResult } from "./tune.ts";

export interface LiveConfirmationResult {
  current: number;
  recommended: number;
  simulated: { current: number; recommended: number };
  agreement: Agreement;
  durationScale: number;
}

export interface TuneReport extends TuneResult {
  confirm?: LiveConfirmationResult;
  confirmNote?: string;
}

export function objectiveLabel(r: TuneResult): string {
  const o = r.space.objective;
  const cost = Object.entries(o.cost)
    .map(([p, w]) => ` + ${w} x ${p}`)
    .join("");
  const across =
    r.scenarios.length > 1
      ? ` (${o.combine === "worst" ? "worst" : "weighted"} over ${r.scenarios.length} scenarios)`
      : "";
  return `${o.metric} ${o.stat}${cost}${across}, ${o.goal === "min" ? "lower" : "higher"} is better`;
}

function ciText(ci: Interval | undefined): string {
  return ci ? `[${fmt(ci.lo)}, ${fmt(ci.hi)}]` : "[not estimated]";
}

function pairText(p: PairedResult, who = "best"): string {
  const e = p.estimate;
  const rel = Number.isFinite(e.relative) ? ` (${(e.relative * 100).toFixed(1)}%)` : "";
  return `${who} - ${p.against}: ${fmt(e.delta)}${rel}, 95% paired CI ${ciText(e.ci)} over ${e.n.candidate} replications: ${p.verdict}`;
}

/** The findings, one line each (printed by the command, listed in the report). */
export function tuneSummary(r: TuneReport): string[] {
  const out: string[] = [];
  const counts = (s: string) => r.candidates.filter((c) => c.status === s).length;
  out.push(`objective: ${objectiveLabel(r)}`);
  out.push(
    `${r.candidates.length} candidates (Latin hypercube, seed ${r.seed}), raced ${r.schedule.rungs.map((g) => `${g.candidates}x${g.reps}`).join(" -> ")} ` +
      `(candidates x replications): ${counts("invalid")} invalid, ${counts("infeasible")} infeasible, ${counts("dropped")} dropped by the race`,
  );
  out.push(
    `${r.runs} simulated runs in ${r.wallSeconds.toFixed(0)} s (${((r.runs / Math.max(r.wallSeconds, 1e-9)) * 60).toFixed(1)} runs/min); ` +
      `every candidate at ${r.schedule.rungs.at(-1)!.reps} replications would have taken ${r.fullRuns} (racing saved ${(100 * (1 - r.runs / r.fullRuns)).toFixed(0)}%)`,
  );
  const b = r.best;
  if (b === undefined) {
    out.push("no candidate met the constraints: nothing to recommend");
  } else {
    const vals = Object.entries(b.values)
      .map(([p, v]) => `${p}=${v}`)
      .join(", ");
    out.push(
      `best: #${b.id} ${vals}: objective ${fmt(b.objective)} (current ${r.arms.current.name} ${fmt(r.arms.current.objective)}, baseline ${r.arms.baseline.name} ${fmt(r.arms.baseline.objective)})`,
    );
    out.push(pairText(b.vsCurrent));
    out.push(pairText(b.vsBaseline));
    if (b.vsCurrent.verdict !== "better")
      out.push(
        `nothing in the space is significantly better than ${r.arms.current.name} on these replications (the CI above)`,
      );
    for (const u of b.runnerUps) out.push(`runner-up #${u.id} (${fmt(u.objective)}): ${pairText(u)}`);
    out.push(
      b.clearWinner
        ? "the best is significantly better than every runner-up"
        : "the best is not significantly better than every runner-up: the finalists are alternatives",
    );
    if (Object.keys(b.cluster).length > 0)
      out.push(
        `cluster settings (the scenario's, not the config file's): ${Object.entries(b.cluster)
          .map(([p, v]) => `${p}=${v}`)
          .join(", ")}`,
      );
  }
  for (const s of r.perScenario.length > 1 ? r.perScenario : [])
    out.push(
      `${s.scenario}: best ${fmt(s.best)}, current ${fmt(s.current)}, baseline ${fmt(s.baseline)}; ${pairText(s.vsCurrent)}`,
    );
  out.push(
    `sensitivity (first-order index on the first rung): ${r.sensitivity.map((s) => `${s.path} ${Number.isFinite(s.index) ? s.index.toFixed(2) : "n/a"}`).join(", ")}`,
  );
  if (r.pareto)
    out.push(
      `Pareto front (objective without cost, cost): ${r.pareto.map((p) => `#${p.id} (${fmt(p.objective)}, ${fmt(p.cost)})`).join(", ")}`,
    );
  if (r.confirm) {
    const c = r.confirm;
    out.push(
      `live confirmation (durationScale ${c.durationScale}): current ${fmt(c.current)}, recommended ${fmt(c.recommended)} ` +
        `(${(c.agreement.live * 100).toFixed(1)}% live against ${(c.agreement.simulated * 100).toFixed(1)}% simulated): ${c.agreement.verdict}` +
        (r.best && r.best.vsCurrent.verdict !== "better"
          ? " (the simulated change is not significant, so the live runs compare two equals: expect noise)"
          : ""),
    );
  } else if (r.confirmNote) out.push(r.confirmNote);
  out.push(...r.notes);
  return out;
}

export function writeTuneReport(
  r: TuneReport,
  outDir: string,
): { html: string; json: string; markdown: string; config?: string } {
  mkdirSync(join(outDir, "charts"), { recursive: true });
  const font = findFont();
  const label = `${r.space.objective.metric} ${r.space.objective.stat}`;
  const charts = r.sensitivity.map((s, i) => ({
    id: `sensitivity-${i + 1}`,
    svg: sensitivityChart(`sensitivity-${i + 1}`, s.path, label, s.points, s.index),
    caption: `The objective of each candidate of the first rung (replication 1, the same seed for all) against ${s.path}; the line joins the means per value.`,
  }));
  if (r.pareto) {
    const firstRung = firstRungOf(r.candidates).map((c) => ({
      id: c.id,
      objective: c.perRep[0]! - c.cost,
      cost: c.cost,
    }));
    charts.push({
      id: "pareto",
      svg: paretoChart(firstRung, r.pareto, label),
      caption:
        "Objective (without cost) against cost for the first rung; the front holds the candidates no other beats on both.",
    });
  }
  for (const c of charts) writeFileSync(join(outDir, "charts", `${c.id}.png`), svgToPng(c.svg, font));
  const summary = tuneSummary(r);
  const paths = r.space.parameters.map((p) => p.path);
  const rows = [...r.candidates]
    .sort((a, b) => b.reps - a.reps || a.objective - b.objective || a.id - b.id)
    .map(
      (c) =>
        `<tr><td>#${c.id}</td>${paths.map((p) => `<td class="num">${escapeHtml(String(c.values[p]))}</td>`).join("")}` +
        `<td>${c.status}</td><td class="num">${c.reps}</td><td class="num">${Number.isFinite(c.objective) ? fmt(c.objective) : ""}</td>` +
        `<td>${escapeHtml(c.reasons.join("; "))}</td></tr>`,
    )
    .join("");
  const html = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>rushhour tune: ${escapeHtml(r.scenarios.join(", "))}</title>
<style>body{font-family:"DejaVu Sans",Verdana,sans-serif;max-width:1000px;margin:0 auto;padding:16px 24px;color:#222}
table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:3px 8px}td.num{text-align:right}
figcaption{font-size:.9em;color:#444;max-width:760px}svg{max-width:100%;height:auto;border:1px solid #eee}pre{background:#f6f6f6;padding:8px}</style></head><body>
<section id="tuning"><h1>Tuning: ${escapeHtml(r.scenarios.join(", "))} (from ${escapeHtml(r.base)})</h1>
<ul>${summary.map((l) => `<li>${escapeHtml(l)}</li>`).join("")}</ul>
${r.best ? `<h2>Recommended configuration</h2><pre>${escapeHtml(JSON.stringify(r.best.configFile, null, 2))}</pre>` : ""}
${charts.map((c) => `<figure data-chart-id="${c.id}">${c.svg}<figcaption>${escapeHtml(c.caption)} <a href="charts/${c.id}.png">PNG</a></figcaption></figure>`).join("\n")}
<h2>Candidates</h2><table><thead><tr><th>id</th>${paths.map((p) => `<th>${escapeHtml(p)}</th>`).join("")}<th>status</th><th>replications</th><th>objective</th><th>reason</th></tr></thead><tbody>${rows}</tbody></table>
</section></body></html>
`;
  const md = [
    `## Tuning: ${r.scenarios.join(", ")} (from ${r.base})`,
    "",
    ...summary.map((l) => `- ${l}`),
    "",
    ...(r.best
      ? ["Recommended configuration:", "", "```json", JSON.stringify(r.best.configFile, null, 2), "```", ""]
      : []),
    `| id | ${paths.join(" | ")} | status | replications | objective | reason |`,
    `| --- | ${paths.map(() => "---").join(" | ")} | --- | --- | --- | --- |`,
    ...[...r.candidates]
      .sort((a, b) => b.reps - a.reps || a.objective - b.objective || a.id - b.id)
      .map(
        (c) =>
          `| #${c.id} | ${paths.map((p) => String(c.values[p])).join(" | ")} | ${c.status} | ${c.reps} | ${Number.isFinite(c.objective) ? fmt(c.objective) : ""} | ${c.reasons.join("; ").replaceAll("|", "/")} |`,
      ),
    "",
  ].join("\n");
  const files: { html: string; json: string; markdown: string; config?: string } = {
    html: join(outDir, "index.html"),
    json: join(outDir, "tune.json"),
    markdown: join(outDir, "tuning.md"),
  };
  writeFileSync(files.html, html);
  writeFileSync(files.markdown, md);
  writeFileSync(
    files.json,
    `${JSON.stringify(r, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2)}\n`,
  );
  if (r.best) {
    files.config = join(outDir, "recommended-config.json");
    writeFileSync(files.config, `${JSON.stringify(r.best.configFile, null, 2)}\n`);
  }
  return files;
}
