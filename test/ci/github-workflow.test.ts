// docs/ci/github-actions.yml as GitHub would run it: its report and gate steps, taken from the YAML file
// itself, run as one bash script with GitHub's environment variables, on a planted P99 regression and on a
// clean rerun. Checks what a reviewer sees: one ::error annotation per failed check and a job summary with
// the before/after table (and nothing to annotate when the candidate is clean).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { writeRunResult } from "../../results/run-result.ts";
import { syntheticRunResult } from "../reports/run-result-fixture.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const WORKFLOW = join(ROOT, "docs/ci/github-actions.yml");

interface Workflow {
  env: Record<string, string>;
  jobs: Record<string, { steps: { id?: string; run?: string }[] }>;
}

/** The workflow's steps with these ids, in the workflow's order, as one script (GitHub runs `bash -e`). */
function stepsScript(ids: readonly string[]): string {
  const workflow = parse(readFileSync(WORKFLOW, "utf8")) as Workflow;
  const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
  const chosen = steps.filter((s) => s.id !== undefined && ids.includes(s.id));
  expect(chosen.map((s) => s.id)).toEqual(ids);
  return ["set -eo pipefail", ...chosen.map((s) => s.run ?? "")].join("\n");
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "rushhour-gha-"));
  const write = (sub: string, scenario: string, seed: number, medianMs: number) =>
    writeRunResult(
      join(dir, sub, `${scenario}.adaptive.json`),
      syntheticRunResult({ scenario, config: "adaptive", seed, medianMs }),
    );
  write("baselines", "promo-peak", 1, 200);
  write("baselines", "hot-sku", 4, 150);
  write("worse/runs", "promo-peak", 2, 320);
  write("worse/runs", "hot-sku", 5, 150);
  write("clean/runs", "promo-peak", 3, 200);
  write("clean/runs", "hot-sku", 6, 150);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runWorkflow(suiteOut: string) {
  const summary = join(dir, `${suiteOut.replace("/", "-")}-summary.md`);
  const run = spawnSync("bash", ["-c", stepsScript(["report", "gate"])], {
    cwd: ROOT,
    encoding: "utf8",
    env: {
      ...process.env,
      BASELINES: join(dir, "baselines"),
      SUITE_OUT: join(dir, suiteOut),
      GITHUB_STEP_SUMMARY: summary,
      GITHUB_REPOSITORY: "shop/dispatch",
      GITHUB_RUN_ID: "42",
    },
  });
  return { ...run, summary: existsSync(summary) ? readFileSync(summary, "utf8") : "" };
}

describe("the GitHub Actions workflow (docs/ci/github-actions.yml)", () => {
  it("on a planted P99 regression: fails, one annotation per failed check, a summary with the table", () => {
    const run = runWorkflow("worse");
    expect(run.status, run.stderr).toBe(1);
    const annotations = run.stdout.split("\n").filter((l) => l.startsWith("::error "));
    const failed = run.stderr.split("\n").filter((l) => l.startsWith("FAIL "));
    expect(failed.length).toBeGreaterThan(0);
    expect(annotations).toHaveLength(failed.length);
    expect(annotations[0]).toMatch(
      /^::error file=.*baselines\/promo-peak\.adaptive\.json,title=rushhour gate%3A promo-peak%3A p99 regression .*::promo-peak: P99 regressed \+\d+%/,
    );
    expect(run.summary).toContain("## rushhour gate: **failed**");
    expect(run.summary).toContain(
      "| metric | before (adaptive) | after (adaptive) | change [95% CI] | direction | verdict |",
    );
    expect(run.summary).toContain("https://github.com/shop/dispatch/actions/runs/42");
    expect(existsSync(join(dir, "worse/report/index.html"))).toBe(true);
    expect(readFileSync(join(dir, "worse/gate.xml"), "utf8")).toContain("<failure");
  }, 120_000);

  it("on a clean rerun: passes with a summary and no annotation", () => {
    const run = runWorkflow("clean");
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).not.toContain("::error");
    expect(run.summary).toContain("## rushhour gate: passed");
    expect(run.summary).toContain("### promo-peak");
    expect(run.summary).toContain("### hot-sku");
  }, 120_000);
});
