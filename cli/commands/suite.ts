import { resolve } from "node:path";
import { progressBar } from "../../reports/progress.ts";
import { ScenarioError } from "../../scenarios/define.ts";
import { ConfigError } from "../../simulator/configs.ts";
import { LiveScenarioError } from "../../workflows/live.ts";
import { SimScenarioError } from "../../workflows/simulate.ts";
import {
  discoverScenarios,
  liveRunner,
  runSuite,
  type SuiteMode,
  type SuiteRole,
} from "../../workflows/suite.ts";
import { numberFlag, parseCommandArgs } from "../args.ts";
import { type Command, EXIT, UsageError } from "../command.ts";
import { checkOutFlag } from "../errors.ts";
import { calibratedScenario } from "../scenario-argument.ts";
import { segmentFromFlags, segmentOptions } from "../segment-flags.ts";

export const suite: Command = {
  name: "suite",
  summary: "run every scenario in a folder (simulated and/or live) and write one report with an index",
  help: `Usage: rushhour suite <folder|scenario...> [--mode sim|load|both] [--out DIR] [--replications N]
                      [--seed S] [--configs baseline,candidate] [--no-report] [--no-png] [--calibration FILE]
                      [--shard I/N | --shard-count N [--shard-index I]]

Finds every scenario module in the folder (a .ts file whose default export is a scenario; helper modules are
skipped; built-in names and single files work too), runs each one and writes:
  DIR/runs/<scenario>.<config>.json        simulated RunResults (baseline and candidate configurations)
  DIR/runs/<scenario>.<config>.load.json   live RunResults (--mode load or both)
  DIR/index.html, charts/, summary.md, summary.json   one report, with an index of every scenario

Options:
  --mode sim|load|both    simulate, run live against an embedded server, or both      default sim
  --out DIR               output folder                                                default out/suite
  --replications N        simulated replications per configuration                    default 3
  --seed S                base seed for every scenario (default: each scenario's own)
  --configs LIST          which configurations to simulate: baseline, candidate or both default both
  --no-report             write only the RunResults
  --no-png                no PNG copies of the charts
  --calibration FILE      simulate every scenario with this calibration profile (rushhour calibrate)
  --shard I/N             (--mode sim) simulate only shard I (0-based) of N of the (scenario, configuration)
                          pairs: pair k, counting scenarios in order and each one's configurations, when
                          k mod N = I. Writes those RunResults (whole, as without --shard) and no report:
                          rushhour report over every shard's DIR/runs draws it
  --shard-count N         the same, the index from --shard-index I or $JOB_COMPLETION_INDEX (an Indexed Job)

Live runs do what \`rushhour load <scenario>\` does (in this process), on a local stack (provider farm and server on 127.0.0.1), baseline then
candidate, with each scenario's live.durationScale.

Exit codes: 0 done, 1 a candidate (or single) run failed one of its scenario's thresholds (the baseline is the
system being replaced: its failures are reported, not fatal), 2 bad usage, scenario or configuration.
`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      mode: { type: "string" },
      out: { type: "string" },
      replications: { type: "string" },
      seed: { type: "string" },
      configs: { type: "string" },
      "no-report": { type: "boolean" },
      "no-png": { type: "boolean" },
      calibration: { type: "string" },
      ...segmentOptions("shard"),
    });
    checkOutFlag(values.out);
    const problems: string[] = [];
    if (positionals.length === 0)
      problems.push("give a folder of scenarios (e.g. scenarios) or scenario names");
    const mode = (values.mode ?? "sim") as SuiteMode;
    if (!["sim", "load", "both"].includes(mode))
      problems.push(`--mode must be sim, load or both, got "${mode}"`);
    const replications = numberFlag("replications", values.replications, 3);
    if (!Number.isInteger(replications) || replications < 1 || replications > 1000) {
      problems.push(`--replications must be an integer between 1 and 1000, got "${values.replications}"`);
    }
    let seed: number | undefined;
    if (values.seed !== undefined) {
      seed = numberFlag("seed", values.seed, 0);
      if (!Number.isSafeInteger(seed)) problems.push(`--seed must be an integer, got "${values.seed}"`);
    }
    const roles = (values.configs ?? "baseline,candidate").split(",").map((s) => s.trim()) as SuiteRole[];
    if (roles.length === 0 || roles.some((r) => r !== "baseline" && r !== "candidate")) {
      problems.push(`--configs must list baseline and/or candidate, got "${values.configs}"`);
    }
    const shard = segmentFromFlags("shard", values);
    if (shard !== undefined && mode !== "sim")
      problems.push("--shard splits simulated runs: use it with --mode sim");
    if (problems.length > 0) throw new UsageError(problems.join("\n  "));

    const live = mode === "sim" ? undefined : liveRunner();
    let scenarios: Awaited<ReturnType<typeof discoverScenarios>>;
    try {
      scenarios = await discoverScenarios(positionals);
    } catch (err) {
      if (err instanceof ScenarioError) throw new UsageError(err.message, { cause: err });
      throw err;
    }
    if (scenarios.length === 0)
      throw new UsageError(`no scenario modules found in ${positionals.join(", ")}`);
    const calibration = values.calibration;
    if (calibration !== undefined) scenarios = scenarios.map((s) => calibratedScenario(s, calibration));

    const out = values.out ?? "out/suite";
    const bar = progressBar("suite");
    let result: Awaited<ReturnType<typeof runSuite>>;
    try {
      result = await runSuite(scenarios, {
        mode,
        replications,
        ...(seed !== undefined ? { seed } : {}),
        roles,
        out,
        report: !values["no-report"] && shard === undefined,
        ...(shard !== undefined ? { shard } : {}),
        png: !values["no-png"],
        ...(live ? { live } : {}),
        command: ["rushhour", "suite", ...argv],
        onProgress: (label, fraction) => bar.update(Math.round(fraction * 1000), 1000, label),
      });
    } catch (err) {
      if (err instanceof ConfigError || err instanceof SimScenarioError || err instanceof LiveScenarioError) {
        throw new UsageError(err.message);
      }
      throw err;
    } finally {
      bar.stop();
    }
    const fatal = result.runs.filter((r) => r.role !== "baseline" && r.thresholds.some((t) => !t.ok));
    for (const f of result.thresholdFailures) process.stderr.write(`threshold failed: ${f}\n`);
    process.stdout.write(
      `${scenarios.length} scenarios, ${result.runFiles.length} runs in ${resolve(out, "runs")}\n` +
        (result.report ? `${resolve(result.report.html)}\n` : ""),
    );
    return fatal.length > 0 ? EXIT.failed : EXIT.ok;
  },
};
