// `rushhour twin`: the scenario simulated (calibrated) and live, side by side, judged against tolerances.
// Parses the command line, calls workflows/twin.ts, prints the table and what failed.
import { resolve } from "node:path";
import cliProgress from "cli-progress";
import { loadCredentials } from "../../load/credentials.ts";
import {
  DEFAULT_TOLERANCES,
  parseTolerances,
  ToleranceError,
  twinFailures,
  twinMarkdown,
} from "../../reports/twin.ts";
import { type RunResult, readRunResult } from "../../results/run-result.ts";
import { BUILTIN_SCENARIOS } from "../../scenarios/define.ts";
import { oneLine } from "../../scenarios/error-line.ts";
import { liveOptions } from "../../scenarios/live.ts";
import { ConfigError } from "../../simulator/configs.ts";
import { tryParseDuration } from "../../traffic/duration.ts";
import { objectiveOf } from "../../workflows/capacity.ts";
import { LiveScenarioError } from "../../workflows/live.ts";
import { SimScenarioError } from "../../workflows/simulate.ts";
import { runTwin, TwinInputError, writeTwinReport } from "../../workflows/twin.ts";
import { parseCommandArgs } from "../args.ts";
import { type Command, EXIT, UsageError } from "../command.ts";
import { checkOutFlag } from "../errors.ts";
import { scenarioArgument } from "../scenario-argument.ts";
import { targetsFlag } from "../target-flag.ts";

const d = DEFAULT_TOLERANCES;
const help = `Usage: rushhour twin <scenario> [--calibration FILE] [--replications N] [--tolerance LIST] [--config NAME|FILE]
                     [--out DIR] [--knee [--objective MS] [--knee-step 10s]] [--against FILE] [--warmup 10s]
                     [--live-runs N] [--live-backup yes|no]
                     [--target HOST:PORT[,HOST:PORT...] --admin-token T]

Runs the scenario simulated (N replications, with the calibration profile: --calibration, else the
scenario's cluster.profile, else its typed-in costs) and live (one run, or --live-runs N, on a local
stack: a provider farm and rushhour serve on 127.0.0.1, at duration scale 1), and writes the section "simulated vs live":
overlay charts per window (P50/P95/P99, throughput, CPU) and a table
metric | simulated [95% CI] | live | error | tolerance | verdict
for P50, P95, P99, throughput (delivered per second of traffic), CPU peak and error rate; and, for each
provider either side isolated, the window each side first isolated it in (the health timelines compared);
and, not judged, where delivered orders' time goes on each side: P50 and P99 of the allocating and issuing
stages, the core's span and what is left outside it (from the core's own stage timings).

<scenario>   a built-in name (${BUILTIN_SCENARIOS.join(", ")}) or a scenario .ts file

Options:
  --calibration FILE   a calibration profile (rushhour calibrate --out)
  --replications N     simulated replications (default 3)
  --tolerance LIST     METRIC=VALUE,... over the defaults: latency and throughput as a share of live
                       (p50=${d.p50.value * 100}%, p95=${d.p95.value * 100}%, p99=${d.p99.value * 100}%, throughput=${d.throughput.value * 100}%), CPU peak and
                       error rate in percentage points (cpu=${d.cpu.value}pt, errors=${d.errors.value}pt), and
                       how many windows apart the two sides may first isolate a provider (isolation=${d.isolation.value}w)
  --config NAME|FILE   run this configuration on both sides (default: the scenario's candidate)
  --out DIR            output folder (default out/twin/<scenario>): twin.md, twin.html, twin.json,
                       charts/*.svg, simulated.json and live.json (the two RunResults)
  --against FILE       compare with this live RunResult of the scenario (rushhour load, or a twin's
                       live.json) instead of a new live run: judge another profile against one live run
  --live-runs N        live runs to compare against (default 1; at most 20): the error is against their
                       mean and the live column shows its 95% interval, since one live run on a busy
                       machine can move as much as the model's error; the charts, stages and isolation
                       times are the first run's. Each run on a local stack has a fresh stack and its own
                       warm-up; against --target, each run after the first waits until the servers hold
                       no order. live.json is the first run, live-2.json... the others
  --warmup DURATION    the local stack runs unmeasured for this long at half the scenario's peak rate
                       before each live run, so a freshly started server's compilation is not read as
                       latency, then waits until the server has finished the warm-up's orders
                       (default 10s; 0 for none; not with --target: running servers are warm)
  --target LIST        run the live side against these running servers (default: a local stack)
  --live-backup yes|no whether a backup server stands behind the live primary, and so behind the
                       simulated one (default: the scenario's cluster.backupDeployed, which a local
                       stack follows by starting \`serve --role backup\` or not; with --against, whether
                       the recorded run lists a backup); not with a live.topology, which
                       says itself whether it starts one (live.topology.backup)
  --admin-token T      their AdminService token (default $RUSHHOUR_ADMIN_TOKEN); --admin-token-file F
  --knee               also find the saturation knee: the highest steady rate that meets the objective
                       (P99 and error rate, and a backlog growing by at most 3% of the rate a second),
                       by bisection in simulation, then checked live at the simulated knee and 15%
                       either side
  --objective MS       the knee's P99 objective (default: the scenario's latency p(99)<X threshold)
  --knee-step DURATION length of each simulated probe and live step (default 10s)
  -h, --help           show this help

Exit codes: 0 every metric within its tolerance, 1 a metric or an isolation outside it (each is named),
2 bad usage, scenario, configuration or profile.
`;

export const twinCommand: Command = {
  name: "twin",
  summary: "run a scenario simulated (calibrated) and live and compare them against tolerances",
  help,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      calibration: { type: "string" },
      replications: { type: "string" },
      tolerance: { type: "string" },
      config: { type: "string" },
      out: { type: "string" },
      knee: { type: "boolean" },
      objective: { type: "string" },
      "knee-step": { type: "string" },
      warmup: { type: "string" },
      "live-runs": { type: "string" },
      "live-backup": { type: "string" },
      against: { type: "string" },
      target: { type: "string" },
      "admin-token": { type: "string" },
      "admin-token-file": { type: "string" },
    });
    checkOutFlag(values.out);
    const problems: string[] = [];
    if (positionals.length !== 1) problems.push("give exactly one scenario (a built-in name or a .ts file)");
    const replications = values.replications === undefined ? 3 : Number(values.replications);
    if (!Number.isInteger(replications) || replications < 1 || replications > 100) {
      problems.push(`--replications must be an integer between 1 and 100, got "${values.replications}"`);
    }
    const liveBackup = values["live-backup"];
    if (liveBackup !== undefined && liveBackup !== "yes" && liveBackup !== "no") {
      problems.push(`--live-backup must be yes or no, got "${liveBackup}"`);
    }
    const liveRuns = values["live-runs"] === undefined ? 1 : Number(values["live-runs"]);
    if (!Number.isInteger(liveRuns) || liveRuns < 1 || liveRuns > 20) {
      problems.push(`--live-runs must be an integer between 1 and 20, got "${values["live-runs"]}"`);
    }
    if (values.against !== undefined && values["live-runs"] !== undefined && liveRuns !== 1) {
      problems.push("--against is one recorded live run: it cannot go with --live-runs above 1");
    }
    let tolerances = DEFAULT_TOLERANCES;
    try {
      if (values.tolerance !== undefined) tolerances = parseTolerances(values.tolerance);
    } catch (err) {
      if (!(err instanceof ToleranceError)) throw err;
      problems.push(err.message);
    }
    const objectiveMs = values.objective === undefined ? undefined : Number(values.objective);
    if (objectiveMs !== undefined && !(Number.isFinite(objectiveMs) && objectiveMs > 0)) {
      problems.push(`--objective must be a P99 in ms (> 0), got "${values.objective}"`);
    }
    const kneeStepMs = tryParseDuration(values["knee-step"] ?? "10s");
    const kneeStep =
      kneeStepMs !== undefined && kneeStepMs >= 1000 && kneeStepMs <= 3_600_000
        ? kneeStepMs / 1000
        : undefined;
    if (kneeStep === undefined)
      problems.push(`--knee-step must be a duration from 1s to 1h (e.g. 10s), got "${values["knee-step"]}"`);
    if (!values.knee && (values.objective ?? values["knee-step"]) !== undefined) {
      problems.push("--objective and --knee-step are for --knee");
    }
    const warmupMs = tryParseDuration(values.warmup ?? "10s");
    if (warmupMs === undefined || warmupMs > 3_600_000) {
      problems.push(`--warmup must be a duration up to 1h (e.g. 10s, or 0), got "${values.warmup}"`);
    }
    const targets = targetsFlag(values.target, problems);
    if (values.warmup !== undefined && (targets !== undefined || values.against !== undefined)) {
      problems.push("--warmup warms the local stack: not with --target or --against");
    }
    const { credentials, problems: credentialProblems } = loadCredentials(values);
    problems.push(...credentialProblems);
    if (targets !== undefined && credentials.adminToken === null) {
      problems.push(
        "--target needs --admin-token or --admin-token-file (the live run configures the servers)",
      );
    }
    if (values.against !== undefined && (values.knee || targets !== undefined)) {
      problems.push("--against replaces the live run: it cannot go with --knee or --target");
    }
    let against: RunResult | undefined;
    if (values.against !== undefined && problems.length === 0) {
      try {
        against = readRunResult(values.against);
      } catch (err) {
        problems.push(`--against ${oneLine(err)}`);
      }
    }
    if (problems.length > 0) throw new UsageError(problems.join("\n  "));

    const scenario = await scenarioArgument(positionals[0] as string, values.calibration);
    if (values.warmup !== undefined && liveOptions(scenario.live).topology !== undefined) {
      throw new UsageError(
        `--warmup warms the local stack: ${scenario.name} runs live on its own topology (live.topology)`,
      );
    }
    const topology = liveOptions(scenario.live).topology;
    if (
      liveBackup !== undefined &&
      topology !== undefined &&
      targets === undefined &&
      against === undefined
    ) {
      // The topology starts its own backup or none: a flag that disagreed would simulate another system.
      throw new UsageError(
        `--live-backup: ${scenario.name} runs live on its own topology, whose live.topology.backup says whether it has a backup`,
      );
    }
    let knee: { objective: NonNullable<ReturnType<typeof objectiveOf>>; stepS: number } | undefined;
    if (values.knee) {
      const objective = objectiveOf(scenario, objectiveMs);
      if (objective === undefined) {
        throw new UsageError(
          `--knee: ${scenario.name} has no latency p(99)<X threshold; give --objective MS`,
        );
      }
      knee = { objective, stepS: kneeStep as number };
    }
    const tty = process.stdout.isTTY === true;
    const bar = tty
      ? new cliProgress.SingleBar({ format: "twin {bar} | {label}", hideCursor: true, fps: 5 })
      : null;
    const phases = 1 + liveRuns + (values.knee ? 4 : 0);
    let phase = 0;
    bar?.start(phases, 0, { label: "starting" });
    let outcome: Awaited<ReturnType<typeof runTwin>>;
    try {
      outcome = await runTwin(scenario, {
        ...(values.config !== undefined ? { config: values.config } : {}),
        replications,
        tolerances,
        liveRuns,
        ...(liveBackup !== undefined ? { liveBackup: liveBackup === "yes" } : {}),
        command: ["rushhour", "twin", ...argv],
        ...(knee !== undefined ? { knee } : {}),
        ...(against !== undefined ? { liveResult: against } : {}),
        ...(targets !== undefined ? { targets, adminToken: credentials.adminToken } : {}),
        warmupMs: warmupMs ?? 0,
        onProgress: (label) => bar?.update(Math.min(phases, phase++), { label }),
        log: (line) => {
          if (!tty && process.stderr.isTTY) process.stderr.write(`rushhour twin: ${line}\n`);
        },
      });
    } catch (err) {
      if (
        err instanceof ConfigError ||
        err instanceof SimScenarioError ||
        err instanceof LiveScenarioError ||
        err instanceof TwinInputError
      )
        throw new UsageError(err.message, { cause: err });
      throw err;
    } finally {
      bar?.stop();
    }
    const outDir = resolve(values.out ?? `out/twin/${scenario.name}`);
    writeTwinReport(outcome, outDir);
    process.stdout.write(twinMarkdown(outcome.report));
    for (const line of twinFailures(outcome.report.rows, outcome.report.isolation))
      process.stdout.write(`outside tolerance: ${line}\n`);
    process.stdout.write(`wrote ${outDir}/twin.html\n`);
    return outcome.pass ? EXIT.ok : EXIT.failed;
  },
};
