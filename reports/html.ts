// The one self-contained HTML page of a report: inline CSS, inline SVG charts, no script and no network.
import { isAbsolute, relative } from "node:path";
import { CHARTS } from "./charts/index.ts";
import {
  directionText,
  formatChange,
  formatValue,
  type MetricRow,
  methodNote,
  RANK_BASIS,
} from "./compare.ts";
import type { ScenarioGroup } from "./load-runs.ts";
import { formatP, verdictLine } from "./markdown.ts";
import type { RunView } from "./model.ts";

export interface RenderedChart {
  id: string;
  svg: string;
  /** Path of the PNG copy, relative to the page. */
  png?: string;
}

export interface HtmlGroup {
  group: ScenarioGroup;
  charts: RenderedChart[];
}

export const CSS = `
body{font-family:"DejaVu Sans",Verdana,sans-serif;margin:0 auto;max-width:1000px;padding:16px 24px;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:0}h2{border-bottom:2px solid #ddd;padding-bottom:4px;margin-top:2em}
table{border-collapse:collapse;margin:8px 0 12px}th,td{border:1px solid #ccc;padding:4px 10px}th{background:#f3f3f3}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.better{color:#1a7f37;font-weight:bold}.worse{color:#c62828;font-weight:bold}.same{color:#555}
.verdict{font-size:1.1em;padding:8px 12px;background:#f7f7f7;border-left:4px solid #888}
.verdict.better{border-color:#1a7f37}.verdict.worse{border-color:#c62828}
figure{margin:18px 0;page-break-inside:avoid}figcaption{font-size:.9em;color:#444;max-width:760px}
svg{max-width:100%;height:auto;border:1px solid #eee}
.note{font-size:.9em;color:#555}.fail{color:#c62828}
`;

export function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

function verdictClass(v: string): string {
  return v === "better" ? "better" : v === "worse" ? "worse" : "same";
}

export function anchorOf(g: ScenarioGroup): string {
  return `${g.scenario}-${g.kind}`.replace(/[^A-Za-z0-9_-]/g, "-");
}

/** `linkBase`: the folder the page is written to, so links to artifacts elsewhere are made relative. */
export function renderHtml(
  groups: readonly HtmlGroup[],
  title = "rushhour report",
  linkBase?: string,
): string {
  const parts: string[] = [];
  parts.push(
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<title>${escapeHtml(title)}</title><style>${CSS}</style></head><body>`,
    `<h1>${escapeHtml(title)}</h1>`,
  );
  parts.push(indexTable(groups), howToRead());
  for (const hg of groups) parts.push(section(hg, linkBase));
  parts.push("</body></html>\n");
  return parts.join("\n");
}

function indexTable(groups: readonly HtmlGroup[]): string {
  const rows = groups.map(({ group: g }) => {
    const c = g.comparison;
    const link = `<a href="#${anchorOf(g)}">${escapeHtml(g.scenario)}</a>`;
    if (!c) {
      return `<tr><td>${link}</td><td>${g.kind}</td><td colspan="7">${escapeHtml(g.runs.map((r) => r.config).join(", "))} (no comparison)</td></tr>`;
    }
    return (
      `<tr><td>${link}</td><td>${g.kind}</td><td>${escapeHtml(c.baseline)} → ${escapeHtml(c.candidate)}</td>` +
      `<td class="num">${headlineValue(c.headline, c.headline.before)}</td>` +
      `<td class="num">${headlineValue(c.headline, c.headline.after)}</td>` +
      `<td class="num">${formatValue(c.p99.before, "ms")}</td><td class="num">${formatValue(c.p99.after, "ms")}</td>` +
      `<td class="num">${escapeHtml(formatChange(c.p99))}</td>` +
      `<td class="${verdictClass(c.verdict)}">${escapeHtml(c.verdict)}</td></tr>`
    );
  });
  return (
    `<h2 id="index">Scenarios</h2><table class="index"><thead><tr><th>scenario</th><th>kind</th>` +
    `<th>before → after</th><th>goodput before</th><th>goodput after</th><th>P99 before</th><th>P99 after</th>` +
    `<th>P99 change [95% CI]</th><th>verdict</th>` +
    `</tr></thead><tbody>${rows.join("")}</tbody></table>`
  );
}

/** A goodput value, or a raw delivered/s one marked "(raw)" for runs written before goodput. */
function headlineValue(row: MetricRow, v: number): string {
  return `${formatValue(v, row.unit)}${row.key === "goodputPeak" ? "" : " (raw)"}`;
}

function howToRead(): string {
  return `<details open><summary><b>How to read this report</b></summary>
<p>Each scenario was run with a <i>baseline</i> configuration (before) and a <i>candidate</i> (after), in simulation
(virtual time, the same orders and faults for both) or live. The table gives each metric before and after, the
relative change and its 95% confidence interval. With several replications the interval is a bootstrap over
replications (paired when both sides used the same seeds); with one run per side it comes from the order
statistics of the latency histograms. <b>better</b> or <b>worse</b> means the whole interval lies on one side of
zero; otherwise the change is not significant. The verdict line is about goodput (orders delivered within the
scenario's latency objective per second, counted in the window they were submitted in, so a backlog drained late
is not capacity) and P99 latency (submit to card delivered): worse when either is worse. Raw delivered/s stays in
the table as a second row. Manual interventions and complaint-risk orders are scaled to a day at the scenario's
traffic (scenarios/README.md, "Objectives").</p>
<p>The rank test compares the whole latency distributions: P(candidate slower) of 0.5 means no shift, lower means
the candidate is usually faster. ${escapeHtml(RANK_BASIS)}.</p>
<p>Under each chart a short note says what to look for. PNG copies of every chart sit beside this page.</p>
</details>`;
}

function section({ group: g, charts }: HtmlGroup, linkBase?: string): string {
  const parts: string[] = [`<section id="${anchorOf(g)}" data-scenario="${escapeHtml(g.scenario)}">`];
  parts.push(`<h2>${escapeHtml(g.scenario)} <small>(${g.kind})</small></h2>`);
  const c = g.comparison;
  if (c) {
    parts.push(`<p class="verdict ${verdictClass(c.verdict)}">${escapeHtml(verdictLine(c))}</p>`);
    parts.push(
      `<table class="before-after"><thead><tr><th>metric</th><th>before (${escapeHtml(c.baseline)})</th>` +
        `<th>after (${escapeHtml(c.candidate)})</th><th>change [95% CI]</th><th>direction</th><th>verdict</th></tr></thead><tbody>`,
    );
    for (const row of c.rows) {
      parts.push(
        `<tr data-metric="${row.key}"><td>${escapeHtml(row.label)}</td>` +
          `<td class="num">${escapeHtml(formatValue(row.before, row.unit))}</td>` +
          `<td class="num">${escapeHtml(formatValue(row.after, row.unit))}</td>` +
          `<td class="num">${escapeHtml(formatChange(row))}</td>` +
          `<td>${directionText(row.direction)}</td>` +
          `<td class="${verdictClass(row.verdict)}">${escapeHtml(row.verdict)}</td></tr>`,
      );
    }
    parts.push("</tbody></table>");
    const notes = [`Intervals: ${methodNote(c.p99)}.`];
    if (c.rank) {
      notes.push(
        `Rank test: P(candidate slower) = ${c.rank.probabilityOfSuperiority.toFixed(3)}, Cliff's delta ` +
          `${c.rank.cliffsDelta.toFixed(3)}, ${formatP(c.rank.p)}.`,
      );
    }
    parts.push(`<p class="note">${escapeHtml(notes.join(" "))}</p>`);
  }
  parts.push(runsTable(g, linkBase));
  for (const chart of charts) {
    const def = CHARTS.find((d) => d.id === chart.id);
    parts.push(
      `<figure data-chart-id="${chart.id}">${chart.svg}<figcaption><b>${escapeHtml(def?.title ?? chart.id)}.</b> ` +
        `${escapeHtml(def?.howToRead ?? "")}${chart.png ? ` <a href="${escapeHtml(chart.png)}">PNG</a>` : ""}` +
        `</figcaption></figure>`,
    );
  }
  parts.push("</section>");
  return parts.join("\n");
}

function runDetails(r: RunView, linkBase: string | undefined): string {
  const parts = [
    `<li><b>${escapeHtml(r.config)}</b>: ${escapeHtml(
      Object.entries(r.provenance)
        .map(([k, v]) => `${k} ${v}`)
        .join(" · "),
    )}`,
  ];
  if (r.topology?.length) {
    parts.push(`<br>topology: ${escapeHtml(r.topology.map((p) => `${p.name} ${p.address}`).join(", "))}`);
  }
  if (r.audit) {
    parts.push(
      `<br>store audit: <span class="${r.audit.pass ? "better" : "fail"}">${r.audit.pass ? "passed" : "FAILED"}</span> ` +
        `(${escapeHtml(r.audit.summary)})${r.audit.problems.length ? `: ${escapeHtml(r.audit.problems.join("; "))}` : ""}`,
    );
  }
  if (r.chaos?.length) {
    const rows = r.chaos
      .map(
        (c) =>
          `<tr><td class="num">${c.t.toFixed(1)} s</td><td>${escapeHtml(c.action)}</td><td>${escapeHtml(c.target)}</td>` +
          `<td>${escapeHtml(c.outcome)}</td><td class="num">${c.recoveredT === undefined ? "never" : `${c.recoveredT.toFixed(1)} s`}</td></tr>`,
      )
      .join("");
    parts.push(
      `<table class="chaos"><thead><tr><th>at</th><th>chaos action</th><th>target</th><th>outcome</th><th>back at</th></tr></thead><tbody>${rows}</tbody></table>`,
    );
  }
  if (r.artifacts?.length) {
    const links = r.artifacts.map((a) => {
      const href = linkBase && isAbsolute(a.path) ? relative(linkBase, a.path) : a.path;
      return `<a href="${escapeHtml(href)}">${escapeHtml(a.label)}</a>`;
    });
    parts.push(`<br>artifacts: ${links.join(", ")}`);
  }
  parts.push("</li>");
  return parts.join("");
}

function runsTable(g: ScenarioGroup, linkBase?: string): string {
  const rows = g.runs.map((r) => {
    const failed = r.thresholds.filter((t) => !t.ok);
    const thresholds =
      r.thresholds.length === 0
        ? "none"
        : failed.length === 0
          ? `all ${r.thresholds.length} passed`
          : `<span class="fail">failed: ${escapeHtml(failed.map((t) => `${t.metric} ${t.expression}`).join("; "))}</span>`;
    const ctr = r.counters;
    const dup = ctr.duplicateCards ?? 0;
    return (
      `<tr><td>${escapeHtml(r.config)}</td><td>${r.role}</td><td class="num">${r.replications.length}</td>` +
      `<td class="num">${fmtInt(ctr.delivered)}</td><td class="num">${fmtInt(ctr.failed)}</td>` +
      `<td class="num">${fmtInt(ctr.rejected)}</td><td class="num">${fmtInt(ctr.retried)}</td>` +
      `<td class="num${dup > 0 ? " fail" : ""}">${fmtInt(dup)}</td><td>${thresholds}</td></tr>`
    );
  });
  const provenance = g.runs.map((r) => runDetails(r, linkBase)).join("");
  return (
    `<table class="runs"><thead><tr><th>config</th><th>role</th><th>replications</th><th>delivered</th>` +
    `<th>failed</th><th>rejected</th><th>retried</th><th>duplicate cards</th><th>thresholds</th></tr></thead>` +
    `<tbody>${rows.join("")}</tbody></table>` +
    `<details class="note"><summary>Run details (provenance, topology, chaos, audit, artifacts)</summary><ul>${provenance}</ul></details>`
  );
}

function fmtInt(v: number | undefined): string {
  return v === undefined ? "n/a" : Math.round(v).toLocaleString("en-US");
}
