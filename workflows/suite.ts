// A suite: every scenario in a folder, run in simulation (baseline and candidate) and/or live, written as
// RunResults and then as one report with an index. The suite, the demo and this project's CI gate use it.
import { readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { toRunView } from "../reports/from-run-result.ts";
import type { RunView } from "../reports/model.ts";
import { type ReportFiles, writeReport } from "../reports/write-report.ts";
import { type RunResult, writeRunResult } from "../results/run-result.ts";
import { loadScenario, type Scenario } from "../scenarios/define.ts";
import type { ExecutionSegment } from "../traffic/segment.ts";
import { runFile } from "./files.ts";
import { type LiveRunOptions, runLive } from "./live.ts";
import { runSimulated } from "./simulate.ts";

export type SuiteMode = "sim" | "load" | "both";
export type SuiteRole = "baseline" | "candidate";

/** Runs one scenario live and returns its RunResults. */
export type LiveRunner = (scenario: Scenario, progress?: (label: string) => void) => Promise<RunResult[]>;

/** The live workflow as a LiveRunner: baseline then candidate on a local stack (or `options`' targets). */
export function liveRunner(options: Omit<LiveRunOptions, "command"> = {}): LiveRunner {
  return async (scenario, progress) => {
    progress?.("starting");
    const { results } = await runLive(scenario, {
      ...options,
      command: ["rushhour", "load", scenario.file ?? scenario.name],
    });
    return results;
  };
}

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
  /** How to run a scenario live (default: liveRunner(), the live workflow on a local stack). */
  live?: LiveRunner;
  command?: string[];
  onProgress?: (label: string, fraction: number) => void;
  /**
   * Simulate only this shard's (scenario, configuration) pairs (suite --shard I/N): pair k, counting scenarios
   * in order and each one's roles, is shard k mod N's. Each pair's RunResult is whole, as without shards;
   * `rushhour report` over every shard's runs/ draws the suite's report.
   */
  shard?: ExecutionSegment;
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

export async function runSuite(scenarios: readonly Scenario[], opts: SuiteOptions): Promise<SuiteResult> {
  const runFiles: string[] = [];
  const results: RunResult[] = [];
  const runsDir = join(opts.out, "runs");
  const steps = scenarios.length * ((opts.mode === "both" ? 2 : 1) as number);
  let step = 0;
  let pair = 0;
  const shard = opts.shard;
  for (const scenario of scenarios) {
    // This shard's roles of this scenario (all of them without --shard).
    const roles = opts.roles.filter(() => {
      const k = pair++;
      return shard === undefined || k % shard.count === shard.index;
    });
    if (opts.mode !== "load" && roles.length > 0) {
      const sim = await runSimulated(scenario, {
        roles,
        replications: opts.replications,
        ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
        command: opts.command ?? ["rushhour", "suite"],
        onProgress: (done, total, label) =>
          opts.onProgress?.(`${scenario.name} sim ${label}`, (step + done / total) / steps),
      });
      for (const r of sim) {
        const file = runFile(runsDir, scenario.name, r.config.name);
        writeRunResult(file, r);
        runFiles.push(file);
        results.push(r);
      }
      step++;
    }
    if (opts.mode !== "sim") {
      const live = await (opts.live ?? liveRunner())(scenario, (label) =>
        opts.onProgress?.(`${scenario.name} live ${label}`, step / steps),
      );
      for (const r of live) {
        const file = runFile(runsDir, scenario.name, r.config.name, ".load");
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
