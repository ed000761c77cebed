// The gate's result in the formats CI systems show: GitHub workflow annotations (`::error ...::`, one per
// failed check) and a Markdown job summary; a GitLab code-quality report (the merge request's widget). The
// checks themselves come from gate.ts; this file only formats them.
import { createHash } from "node:crypto";
import { compareRuns } from "./compare.ts";
import type { GateCheck, GateResult } from "./gate.ts";
import { comparisonTable, verdictLine } from "./markdown.ts";
import type { RunView } from "./model.ts";

export const GATE_FORMATS = ["text", "github", "gitlab"] as const;
export type GateFormat = (typeof GATE_FORMATS)[number];

/** A check with the RunResult file it is about (the committed baseline's, else the candidate's), when known. */
export interface LocatedCheck extends GateCheck {
  file?: string;
}

// GitHub's workflow-command escaping: data escapes %, CR, LF; property values also escape ":" and ",".
const escapeData = (s: string) => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");

/** One `::error` line per failed check (GitHub shows them on the run and, with a file, in the diff). */
export function githubAnnotations(checks: readonly LocatedCheck[]): string[] {
  return checks
    .filter((c) => !c.ok)
    .map((c) => {
      const props = [
        ...(c.file ? [`file=${escapeProperty(c.file)}`] : []),
        `title=${escapeProperty(`rushhour gate: ${c.suite}: ${c.name}`)}`,
      ];
      return `::error ${props.join(",")}::${escapeData(c.message)}`;
    });
}

/**
 * The Markdown a reviewer reads on the pull request (job summary or comment): the verdict, the failed checks,
 * and the before/after table of every pair with its verdict line; a link to the HTML report when given.
 */
export function gateMarkdown(
  result: GateResult,
  opts: { reportUrl?: string; maxP99Regression: number },
): string {
  const failed = result.checks.filter((c) => !c.ok);
  const out = [
    `## rushhour gate: ${result.ok ? "passed" : "**failed**"}`,
    "",
    `${result.checks.length} checks, ${failed.length} failed (P99 regression allowed: ${(
      opts.maxP99Regression * 100
    ).toFixed(1)}%).`,
    "",
  ];
  if (opts.reportUrl) out.push(`Full report: [${opts.reportUrl}](${opts.reportUrl})`, "");
  if (failed.length > 0) {
    out.push("### Failed checks", "");
    for (const c of failed) out.push(`- ${c.message}`);
    out.push("");
  }
  for (const { baseline, candidate } of result.paired.pairs) {
    const cmp = compareRuns(baseline, candidate);
    out.push(`### ${candidate.scenario}`, "", verdictLine(cmp), "", comparisonTable(cmp), "");
  }
  return out.join("\n");
}

interface CodeQualityIssue {
  description: string;
  check_name: string;
  fingerprint: string;
  severity: "info" | "minor" | "major" | "critical" | "blocker";
  location: { path: string; lines: { begin: number } };
}

/**
 * GitLab's code-quality report (a JSON array of issues; `artifacts: reports: codequality`): one "major" issue
 * per failed check, located at its RunResult file, fingerprinted by scenario and check so a merge request
 * shows what is new.
 */
export function gitlabCodeQuality(checks: readonly LocatedCheck[]): CodeQualityIssue[] {
  return checks
    .filter((c) => !c.ok)
    .map((c) => ({
      description: c.message,
      check_name: `rushhour-gate/${c.name.replace(/ \(.*\)$/, "").replace(/\s+/g, "-")}`,
      fingerprint: createHash("sha256").update(`${c.suite}\u0000${c.name}`).digest("hex"),
      severity: "major",
      location: { path: c.file ?? "baselines", lines: { begin: 1 } },
    }));
}

/**
 * Adds each check's file: the baseline's RunResult of its scenario (committed, so an annotation lands on a
 * file of the repository), else the candidate's.
 */
export function locateChecks(result: GateResult, files: ReadonlyMap<RunView, string>): LocatedCheck[] {
  const { pairs, unpairedBaselines, unpairedCandidates } = result.paired;
  const bySuite = new Map<string, string>();
  for (const r of [...unpairedCandidates, ...unpairedBaselines]) {
    const f = files.get(r);
    if (f) bySuite.set(r.scenario, f);
  }
  for (const { baseline, candidate } of pairs) {
    const f = files.get(baseline) ?? files.get(candidate);
    if (f) bySuite.set(candidate.scenario, f);
  }
  return result.checks.map((c) => {
    const file = bySuite.get(c.suite);
    return file === undefined ? { ...c } : { ...c, file };
  });
}
