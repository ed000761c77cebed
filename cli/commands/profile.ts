// `rushhour profile`: parses the command line, calls the profiling workflow (workflows/profile.ts) and prints
// what it wrote.
import { join, resolve } from "node:path";
import { BUILTIN_SCENARIOS } from "../../scenarios/define.ts";
import { liveProblems } from "../../workflows/live.ts";
import { runProfile, scaleRates, TOOLS, type Tool } from "../../workflows/profile.ts";
import { parseCommandArgs } from "../args.ts";
import { type Command, EXIT, UsageError } from "../command.ts";
import { checkOutFlag } from "../errors.ts";
import { configArgument, scenarioArgument } from "../scenario-argument.ts";

const help = `Usage: rushhour profile <scenario> [--tool doctor|flame] [--out DIR] [--config NAME|FILE]
                        [--duration-scale F] [--rate-scale F]

Profiles the dispatch server under the scenario's load: starts a provider farm, runs rushhour serve
(SQLite store in a temporary folder) under clinic (Clinic.js doctor or flame), replays the scenario's
traffic against it with the live driver (scaled down: durations by --duration-scale, arrival rates and
VUs by --rate-scale), stops the server with SIGINT so clinic writes its report, then writes into DIR:
  <scenario>.<config>.json      the RunResult, listing clinic's HTML under "artifacts"
  clinic/<...>.html             clinic's report
  report/index.html             the run's report, with a link to clinic's report

<scenario>   a built-in name (${BUILTIN_SCENARIOS.join(", ")}) or a path to a scenario .ts file

Options:
  --tool T             doctor (event-loop delay, CPU, memory, handles: what kind of problem) or flame
                       (where CPU time goes) (default doctor)
  --out DIR            output folder (default out/profile/<scenario>)
  --config NAME|FILE   server configuration (default: the scenario's candidate)
  --duration-scale F   multiply every duration by F (default 0.25)
  --rate-scale F       multiply arrival rates and VUs by F (default 0.25)
  -h, --help           show this help

Needs clinic (an npm dependency of rushhour). Progress goes to stderr on a terminal.
Exit codes: 0 profile written, 1 clinic or the server failed, 2 bad usage, scenario or configuration.
`;

function positive(flag: string, raw: string | undefined, fallback: number, problems: string[]): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n) || n <= 0 || n > 100) {
    problems.push(`--${flag} must be a number in (0, 100], got "${raw}"`);
    return fallback;
  }
  return n;
}

export const profileCommand: Command = {
  name: "profile",
  summary: "profile rushhour serve under clinic (doctor|flame) while a scenario's load runs",
  help,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      tool: { type: "string" },
      out: { type: "string" },
      config: { type: "string" },
      "duration-scale": { type: "string" },
      "rate-scale": { type: "string" },
    });
    checkOutFlag(values.out);
    const problems: string[] = [];
    if (positionals.length !== 1) problems.push("give exactly one scenario (a built-in name or a .ts file)");
    const tool = (values.tool ?? "doctor") as Tool;
    if (!TOOLS.includes(tool)) problems.push(`--tool must be doctor or flame, got "${values.tool}"`);
    const durationScale = positive("duration-scale", values["duration-scale"], 0.25, problems);
    const rateScale = positive("rate-scale", values["rate-scale"], 0.25, problems);
    if (problems.length > 0) throw new UsageError(problems.join("\n  "));

    const scenario = scaleRates(await scenarioArgument(positionals[0] as string), rateScale);
    const arm = configArgument(scenario, values.config);
    // The profiled run drives the scenario's own traffic (role "single"), whichever configuration it sizes.
    const liveProblemList = liveProblems(scenario, [{ ...arm, role: "single" }], durationScale);
    if (liveProblemList.length > 0) {
      throw new UsageError(`${scenario.name} cannot be run live:\n  ${liveProblemList.join("\n  ")}`);
    }

    const outcome = await runProfile(scenario, {
      tool,
      arm,
      durationScale,
      rateScale,
      outDir: resolve(values.out ?? join("out", "profile", scenario.name)),
      command: ["rushhour", "profile", ...argv],
      log: (line) => {
        if (process.stderr.isTTY) process.stderr.write(`rushhour profile: ${line}\n`);
      },
      warn: (line) => process.stderr.write(`rushhour profile: ${line}\n`),
    });
    if (!outcome.ok) {
      process.stderr.write(`rushhour profile: ${outcome.message}\n`);
      return EXIT.failed;
    }
    const { result } = outcome;
    process.stdout.write(
      `profiled ${scenario.name} (${result.counters.delivered} orders delivered, P99 ${result.summary.p99.mean.toFixed(0)} ms)\n` +
        `wrote:\n  ${outcome.clinicHtml}\n  ${outcome.runFile}\n  ${outcome.reportHtml}\n`,
    );
    return EXIT.ok;
  },
};
