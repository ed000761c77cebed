// `rushhour report`'s work as a function: RunViews in, a folder with index.html, charts/*.png, summary.md and
// summary.json out. The suite and the demo call it too.

import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileSafe } from "../results/file-names.ts";
import { CHARTS } from "./charts/index.ts";
import { type HtmlGroup, renderHtml } from "./html.ts";
import { groupByScenario, type ScenarioGroup } from "./load-runs.ts";
import { markdownSummary } from "./markdown.ts";
import type { RunView } from "./model.ts";
import { findFont, svgToPng } from "./png.ts";
import { summaryJson } from "./summary-json.ts";

export interface ReportFiles {
  html: string;
  markdown: string;
  json: string;
  pngs: string[];
  groups: ScenarioGroup[];
}

export interface ReportOptions {
  title?: string;
  /** Skip the PNG copies (faster; the HTML does not need them). */
  png?: boolean;
  /** Called after each chart, for a progress bar. */
  onChart?: (done: number, total: number) => void;
}

export function writeReport(runs: readonly RunView[], outDir: string, opts: ReportOptions = {}): ReportFiles {
  const groups = groupByScenario(runs);
  const withPng = opts.png ?? true;
  const font = withPng ? findFont() : undefined;
  mkdirSync(join(outDir, "charts"), { recursive: true });
  const pngs: string[] = [];
  const total = groups.length * CHARTS.length;
  let done = 0;
  const htmlGroups: HtmlGroup[] = groups.map((group) => ({
    group,
    charts: CHARTS.map((def) => {
      const svg = def.render(group.runs);
      let png: string | undefined;
      if (font) {
        png = `charts/${fileSafe(group.scenario)}-${group.kind}-${def.id}.png`;
        writeFileSync(join(outDir, png), svgToPng(svg, font));
        pngs.push(join(outDir, png));
      }
      opts.onChart?.(++done, total);
      return { id: def.id, svg, ...(png ? { png } : {}) };
    }),
  }));
  const html = join(outDir, "index.html");
  const markdown = join(outDir, "summary.md");
  const json = join(outDir, "summary.json");
  writeFileSync(html, renderHtml(htmlGroups, opts.title, resolve(outDir)));
  writeFileSync(markdown, markdownSummary(groups));
  writeFileSync(json, `${JSON.stringify(summaryJson(groups), null, 2)}\n`);
  return { html, markdown, json, pngs, groups };
}
