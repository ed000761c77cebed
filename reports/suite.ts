// A suite: every scenario in a folder, run in simulation (baseline and candidate) and/or live, written as
// RunResults and then as one report with an index. The suite, the demo and this project's CI gate use it.
import { readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type RunResult, writeRunResult } from "../results/run-result.ts";
import { loadScenario, type Scenario } from "../scenarios/define.ts";
import { resolveConfig } from "../simulator/configs.ts";
import { type SimArm, simulate } from "../simulator/runner.ts";
import { toRunView } from "./from-run-result.ts";
import type { RunView } from "./model.ts";
import { type ReportFiles, writeReport } from "./write-report.ts";

export type SuiteMode = "sim" | "load" | "both";
export type SuiteRole = "baseline" | "candidate";

/** Runs one scenario live and returns its RunResults; supplied by the load driver when it is available. */
export type LiveRunner = (scenario: Scenario, progress?: (label: string) => void) => Promise<RunResult[]>;

export interface SuiteOptions {
  mode: SuiteMode;
  /** Simulation replications per configuration. */
  replications: number;
  seed?: number;
  /** Which of each scenario's configurations to simulate. */
  roles: SuiteRole[];
  out: string;
  /** Also write the report (index.html, charts, summaries) into `out`. */
  report: boolean;
  png?: boolean;
  live?: LiveRunner;
  command?: string[];
  onProgress?: (label: string, fraction: number) => void;
}

export interface SuiteResult {
  runFiles: string[];
  runs: RunView[];
  report?: ReportFiles;
  thresholdFailures: string[];
}

/**
 * Scenario modules in the given folders (or files, or built-in names): every .ts file whose default export
 * looks like a scenario (has name and traffic) is loaded and validated; helper modules are skipped.
 */
export async function discoverScenarios(paths: readonly string[]): Promise<Scenario[]> {
  const out: Scenario[] = [];
  for (const p of paths) {
    let isDir = false;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      // not a path: a built-in name, resolved by loadScenario
    }
    if (!isDir) {
      out.push(await loadScenario(p));
      continue;
    }
    const files = readdirSync(p)
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts") && !f.endsWith(".test.ts"))
      .sort();
    for (const f of files) {
      const file = resolve(p, f);
      const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
      const d = mod.default;
      if (typeof d === "object" && d !== null && "name" in d && "traffic" in d)
        out.push(await loadScenario(file));
    }
  }
  return out;
}

export function simArms(scenario: Scenario, roles: readonly SuiteRole[]): SimArm[] {
  const base = scenario.file ? resolve(scenario.file, "..") : process.cwd();
  return roles.map((role) => {
    const name = scenario.compare[role];
    return { name, role, config: resolveConfig(name, base) };
  });
}

export function fileSafe(name: string): string {
  return (
    name
      .replace(/\.json$/i, "")
      .split(/[\\/]/)
      .pop()!
      .replace(/[^A-Za-z0-9._-]/g, "_") || "config"
  );
}

export async function runSuite(scenarios: readonly Scenario[], opts: SuiteOptions): Promise<SuiteResult> {
  const runFiles: string[] = [];
  const results: RunResult[] = [];
  const runsDir = join(opts.out, "runs");
  const steps = scenarios.length * ((opts.mode === "both" ? 2 : 1) as number);
  let step = 0;
  for (const scenario of scenarios) {
    if (opts.mode !== "load") {
      const sim = simulate(scenario, {
        arms: simArms(scenario, opts.roles),
        replications: opts.replications,
        ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
        command: opts.command ?? ["rushhour", "suite"],
        onProgress: (done, total, label) =>
          opts.onProgress?.(`${scenario.name} sim ${label}`, (step + done / total) / steps),
      });
      for (const r of sim) {
        const file = join(runsDir, `${scenario.name}.${fileSafe(r.config.name)}.json`);
        writeRunResult(file, r);
        runFiles.push(file);
        results.push(r);
      }
      step++;
    }
    if (opts.mode !== "sim") {
      if (!opts.live) throw new Error("live runs need a load runner (LiveRunner)");
      const live = await opts.live(scenario, (label) =>
        opts.onProgress?.(`${scenario.name} live ${label}`, step / steps),
      );
      for (const r of live) {
        const file = join(runsDir, `${scenario.name}.${fileSafe(r.config.name)}.load.json`);
        writeRunResult(file, r);
        runFiles.push(file);
        results.push(r);
      }
      step++;
    }
  }
  const runs = results.map(toRunView);
  const thresholdFailures = results.flatMap((r) =>
    r.thresholds
      .filter((t) => !t.pass)
      .map((t) => `${r.scenario.name} / ${r.config.name} (${r.kind}): ${t.metric} ${t.expression}`),
  );
  const report = opts.report
    ? writeReport(runs, opts.out, { png: opts.png ?? true, title: "rushhour suite" })
    : undefined;
  return { runFiles, runs, ...(report ? { report } : {}), thresholdFailures };
}
