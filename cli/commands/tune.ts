import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { FontMissingError } from "../../reports/png.ts";
import { progressBar } from "../../reports/progress.ts";
import type { Scenario } from "../../scenarios/define.ts";
import { presetConfig } from "../../server/core/config.ts";
import { ConfigError } from "../../simulator/configs.ts";
import { type Arm, resolveArms } from "../../workflows/arms.ts";
import { DEFAULT_BUDGET, tune } from "../../workflows/tune.ts";
import { confirmTune } from "../../workflows/tune-confirm.ts";
import { type TuneReport, tuneSummary, writeTuneReport } from "../../workflows/tune-report.ts";
import { checkSpace, spaceExtends, TuneSpaceError } from "../../workflows/tune-space.ts";
import { numberFlag, parseCommandArgs } from "../args.ts";
import { type Command, EXIT, UsageError } from "../command.ts";
import { checkOutFlag } from "../errors.ts";
import { configArgument, scenarioArgument } from "../scenario-argument.ts";
import { segmentFromFlags, segmentOptions } from "../segment-flags.ts";

export const tuneCommand: Command = {
  name: "tune",
  summary: "search a space of configurations in simulation for the best one, with paired CIs as proof",
  help: `Usage: rushhour tune <scenario> --space FILE [--budget N] [--jobs J] [--seed S] [--scenarios a,b,c]
                     [--shard I/N] [--out DIR] [--confirm] [--confirm-scale X]

Searches the space FILE describes (configuration fields by dotted path, each a range or a list of values;
constraints as threshold expressions; one objective, by default latency p(99)) for the configuration with
the best objective that meets every constraint, in simulation:
  1. a Latin hypercube of candidates over the space (seeded: the same seed, the same candidates);
  2. successive halving: every candidate runs 1 replication, the best third 3, the last three 6; replication r
     uses the same seed for every candidate (common random numbers: the same orders and faults);
  3. the scenario's baseline and candidate configurations run the same 6 replications, and the best is
     compared with them and with the runner-ups by a paired bootstrap (95% CI).
Candidates that fail validation or a constraint are listed with the reason. The report gives each
parameter's sensitivity (a chart of the objective against it) and, with a cost, the Pareto front.
Writes DIR/index.html, DIR/tuning.md, DIR/tune.json, DIR/charts/*.png and DIR/recommended-config.json
(a config file: {"extends": ..., overrides}); prints the findings. The space format is in README.md ("Tuning").

Options:
  --space FILE          the search space (JSON), required
  --budget N            simulated runs the race may spend per scenario (sets the design's size)  default ${DEFAULT_BUDGET}
                        (the baseline and candidate add 12 runs per scenario)
  --jobs J              worker threads for the simulations                                   default 1
  --seed S              seed of the design and of the replications        default the scenario's seed
  --scenarios a,b,c     also judge every candidate on these scenarios (built-in names or files): the
                        objective is the worst one's, or a weighted sum (objective.combine in the space)
  --shard I/N           race only candidates k with k mod N = I of the design (0-based; also
                        --shard-count N with --shard-index I or $JOB_COMPLETION_INDEX); give each
                        shard its own --out and join them with rushhour merge (same --seed, --budget)
  --out DIR             output folder                                                        default out/tune
  --confirm             run the recommended and the current configuration live (a local stack each,
                        as rushhour load) and report whether the live difference agrees with the simulated
  --confirm-scale X     live duration scale for --confirm   default the scenario's live.durationScale

Exit codes: 0 done, 2 bad usage, scenario or space file (nothing is simulated then).
`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      space: { type: "string" },
      budget: { type: "string" },
      jobs: { type: "string" },
      seed: { type: "string" },
      scenarios: { type: "string" },
      ...segmentOptions("shard"),
      out: { type: "string" },
      confirm: { type: "boolean" },
      "confirm-scale": { type: "string" },
    });
    checkOutFlag(values.out);
    const problems: string[] = [];
    if (positionals.length !== 1) problems.push("give exactly one scenario (a built-in name or a .ts file)");
    if (values.space === undefined) problems.push("--space FILE is required (the search space, JSON)");
    else if (!existsSync(values.space)) problems.push(`--space ${values.space}: no such file`);
    const budget = numberFlag("budget", values.budget, DEFAULT_BUDGET);
    if (!Number.isInteger(budget) || budget < 8 || budget > 100_000)
      problems.push(`--budget must be an integer from 8 to 100000, got "${values.budget}"`);
    const jobs = numberFlag("jobs", values.jobs, 1);
    if (!Number.isInteger(jobs) || jobs < 1 || jobs > 256)
      problems.push(`--jobs must be an integer from 1 to 256, got "${values.jobs}"`);
    let seed: number | undefined;
    if (values.seed !== undefined) {
      seed = Number(values.seed);
      if (!Number.isSafeInteger(seed)) problems.push(`--seed must be an integer, got "${values.seed}"`);
    }
    let confirmScale: number | undefined;
    if (values["confirm-scale"] !== undefined) {
      confirmScale = Number(values["confirm-scale"]);
      if (!(confirmScale > 0 && confirmScale <= 10))
        problems.push(`--confirm-scale must be a number in (0, 10], got "${values["confirm-scale"]}"`);
    }
    if (problems.length > 0) throw new UsageError(problems.join("\n  "));
    const shard = segmentFromFlags("shard", values);

    const names = [
      positionals[0]!,
      ...(values.scenarios ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    ];
    const scenarios: Scenario[] = [];
    for (const n of names) {
      const s = await scenarioArgument(n);
      if (!scenarios.some((x) => x.name === s.name)) scenarios.push(s);
    }
    const main = scenarios[0]!;
    const spaceFile = values.space!;
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(spaceFile, "utf8"));
    } catch (err) {
      throw new UsageError(`--space ${spaceFile}: not valid JSON (${(err as Error).message})`);
    }
    // The base: the space's "extends" (a preset, or a config file relative to the space file), else the
    // scenario's candidate configuration.
    const ext = spaceExtends(raw);
    const extName =
      ext === undefined || presetConfig(ext) !== undefined || isAbsolute(ext)
        ? ext
        : resolve(dirname(spaceFile), ext);
    let base: Arm;
    let arms: Arm[];
    try {
      base = configArgument(main, extName);
      arms = resolveArms(main);
    } catch (err) {
      if (err instanceof ConfigError) throw new UsageError(`--space ${spaceFile}: extends: ${err.message}`);
      throw err;
    }
    const baseline = arms.find((a) => a.role === "baseline")!;
    const current = arms.find((a) => a.role === "candidate")!;
    let space: ReturnType<typeof checkSpace>;
    try {
      space = checkSpace(raw, base.config, scenarios, `--space ${spaceFile}`);
    } catch (err) {
      if (err instanceof TuneSpaceError) throw new UsageError(err.message);
      throw err;
    }
    const baseFile: Record<string, unknown> =
      presetConfig(base.name) !== undefined
        ? { extends: base.name }
        : { extends: "adaptive", ...(JSON.parse(readFileSync(resolve(base.name), "utf8")) as object) };

    const bar = progressBar("tune");
    const result = await tune({
      scenarios,
      space,
      base: { name: base.name, config: base.config },
      baseFile,
      baseline: { name: baseline.name, config: baseline.config },
      current: { name: current.name, config: current.config },
      budget,
      jobs,
      ...(seed !== undefined ? { seed } : {}),
      ...(shard !== undefined ? { shard } : {}),
      onProgress: (done, total, label) => bar.update(done, total, label),
    });
    bar.stop();
    const report: TuneReport = { ...result };
    if (values.confirm) {
      if (result.best === undefined) report.confirmNote = "live confirmation skipped: nothing to recommend";
      else if (
        Object.keys(result.best.cluster).length > 0 &&
        Object.keys(result.best.values).length === Object.keys(result.best.cluster).length
      )
        report.confirmNote =
          "live confirmation skipped: only cluster settings were tuned, and this machine is not the modelled cluster";
      else {
        process.stderr.write("tune --confirm: running the current and the recommended configuration live\n");
        report.confirm = await confirmTune(main, space, {
          current,
          recommended: { ...result.best.config, name: "recommended" },
          simulated: {
            current: result.perScenario[0]?.current ?? result.arms.current.objective,
            recommended: result.perScenario[0]?.best ?? result.best.objective,
          },
          ...(confirmScale !== undefined ? { durationScale: confirmScale } : {}),
        });
      }
    }
    let files: ReturnType<typeof writeTuneReport>;
    try {
      files = writeTuneReport(report, values.out ?? "out/tune");
    } catch (err) {
      if (err instanceof FontMissingError) throw new UsageError(err.message);
      throw err;
    }
    process.stdout.write(
      `${result.scenarios.join(", ")} (from ${base.name})\n${tuneSummary(report)
        .map((l) => `  ${l}`)
        .join("\n")}\n${resolve(files.html)}\n${files.config ? `${resolve(files.config)}\n` : ""}`,
    );
    return EXIT.ok;
  },
};
