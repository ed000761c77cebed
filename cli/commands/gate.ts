import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, relative } from "node:path";
import {
  GATE_FORMATS,
  type GateFormat,
  gateMarkdown,
  githubAnnotations,
  gitlabCodeQuality,
  locateChecks,
} from "../../reports/ci-formats.ts";
import { gate as runGate } from "../../reports/gate.ts";
import { junitXml } from "../../reports/junit.ts";
import type { RunView } from "../../reports/model.ts";
import { parseCommandArgs } from "../args.ts";
import { type Command, EXIT, UsageError } from "../command.ts";
import { loadOrUsage } from "./report.ts";

export const gate: Command = {
  name: "gate",
  summary: "fail (exit 1) on a significant P99 or goodput regression or a failed threshold; JUnit XML for CI",
  help: `Usage: rushhour gate --baseline <dir|file> --candidate <dir|file> [--max-p99-regression 5%]
                     [--max-goodput-regression 5%] [--junit FILE]
                     [--format text|github|gitlab] [--summary FILE] [--report-url URL]

Pairs candidate runs with baseline runs (same scenario and configuration) and checks, for every pair:
  - P99 regression: fails when the candidate's P99 is worse by more than the allowance with 95% confidence,
    i.e. the whole confidence interval of the relative P99 change lies above the allowance (see
    \`rushhour compare --help\` for how the interval is computed). Noise within the allowance never fails.
  - goodput regression: the same rule for peak goodput (orders delivered within the scenario's latency
    objective per second, the headline throughput): fails when the whole interval of its relative change lies
    below minus the allowance. Runs written before goodput existed are not judged (the check says so).
  - every absolute threshold of the candidate run (the scenario's k6-style thresholds) passed;
  - no duplicate cards.
A baseline without a candidate, or a candidate without a baseline, fails too.
Each failure is explained in one line on stderr; a one-line summary goes to stdout.

Options:
  --baseline PATH                baseline RunResult file or folder        required
  --candidate PATH               candidate RunResult file or folder       required
  --max-p99-regression PCT       allowed P99 regression, "5%" or "5"      default 5%
  --max-goodput-regression PCT   allowed fall of peak goodput, "5%"       default 5%
  --junit FILE                   also write the checks as JUnit XML
  --format FORMAT                text (default); github: one ::error annotation per failed check on stdout and
                                 a Markdown job summary appended to $GITHUB_STEP_SUMMARY when it is set;
                                 gitlab: a code-quality report (--codequality FILE) for the merge request
  --codequality FILE             where --format gitlab writes it          default gl-code-quality-report.json
  --summary FILE                 also write the Markdown summary (before/after tables, verdicts) to FILE,
                                 e.g. to post as a pull-request comment
  --report-url URL               link the HTML report from the Markdown summary

Exit codes: 0 passed, 1 a check failed, 2 bad usage or input.
`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      baseline: { type: "string" },
      candidate: { type: "string" },
      "max-p99-regression": { type: "string" },
      "max-goodput-regression": { type: "string" },
      junit: { type: "string" },
      format: { type: "string" },
      codequality: { type: "string" },
      summary: { type: "string" },
      "report-url": { type: "string" },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    if (!values.baseline) throw new UsageError("--baseline is required");
    if (!values.candidate) throw new UsageError("--candidate is required");
    const allowance = parsePercent(values["max-p99-regression"] ?? "5%");
    const goodputAllowance = parsePercent(
      values["max-goodput-regression"] ?? "5%",
      "--max-goodput-regression",
    );
    const format = (values.format ?? "text") as GateFormat;
    if (!GATE_FORMATS.includes(format))
      throw new UsageError(`--format must be one of ${GATE_FORMATS.join(", ")}, got "${values.format}"`);
    if (values.codequality && format !== "gitlab")
      throw new UsageError("--codequality is written by --format gitlab; add --format gitlab");
    const files = new Map<RunView, string>();
    const load = (path: string) =>
      loadOrUsage([path]).map((r) => {
        // Annotations name files relative to the repository root (the working directory in CI).
        const rel = relative(process.cwd(), r.path);
        files.set(r.view, rel.startsWith("..") || isAbsolute(rel) ? r.path : rel);
        return r.view;
      });
    const base = load(values.baseline);
    const cand = load(values.candidate);
    const result = runGate(base, cand, {
      maxP99Regression: allowance,
      maxGoodputRegression: goodputAllowance,
    });
    const writeFile = (path: string, text: string) => {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    };
    if (values.junit) writeFile(values.junit, junitXml(result.checks));
    const located = locateChecks(result, files);
    const markdown = () =>
      gateMarkdown(result, {
        maxP99Regression: allowance,
        ...(values["report-url"] ? { reportUrl: values["report-url"] } : {}),
      });
    if (values.summary) writeFile(values.summary, markdown());
    if (format === "github") {
      for (const line of githubAnnotations(located)) process.stdout.write(`${line}\n`);
      const stepSummary = process.env.GITHUB_STEP_SUMMARY;
      if (stepSummary) appendFileSync(stepSummary, `${markdown()}\n`);
    }
    if (format === "gitlab")
      writeFile(
        values.codequality ?? "gl-code-quality-report.json",
        `${JSON.stringify(gitlabCodeQuality(located), null, 2)}\n`,
      );
    for (const f of result.failures) process.stderr.write(`FAIL ${f}\n`);
    const n = result.checks.length;
    process.stdout.write(
      result.ok
        ? `gate passed: ${n} checks\n`
        : `gate failed: ${result.failures.length} of ${n} checks failed\n`,
    );
    return result.ok ? EXIT.ok : EXIT.failed;
  },
};

/** "5%" or "5" -> 0.05; `flag` names the option in the error. */
export function parsePercent(text: string, flag = "--max-p99-regression"): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  if (!m) throw new UsageError(`${flag} must be a percentage like 5% or 2.5, got "${text}"`);
  const v = Number(m[1]) / 100;
  if (v > 10) throw new UsageError(`${flag} ${text} is implausibly large`);
  return v;
}
