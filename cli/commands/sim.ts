import { resolve } from "node:path";
import cliProgress from "cli-progress";
import type { RunResult } from "../../results/run-result.ts";
import { writeRunResult } from "../../results/run-result.ts";
import { BUILTIN_SCENARIOS, type Scenario } from "../../scenarios/define.ts";
import { ConfigError } from "../../simulator/configs.ts";
import { DEFAULT_MAX_MEMORY_MB, DEFAULT_MAX_ORDERS } from "../../simulator/limits.ts";
import { runFile } from "../../workflows/files.ts";
import { runSimulated, SimScenarioError } from "../../workflows/simulate.ts";
import { parseCommandArgs } from "../args.ts";
import { type Command, EXIT, UsageError } from "../command.ts";
import { checkOutFlag } from "../errors.ts";
import { scenarioArgument } from "../scenario-argument.ts";
import { segmentFromFlags, segmentOptions, shardSuffix } from "../segment-flags.ts";

export const simCommand: Command = {
  name: "sim",
  summary: "simulate a scenario in virtual time (baseline vs candidate, with confidence intervals)",
  help: `Usage: rushhour sim <scenario> [--config NAME|FILE] [--replications N] [--seed S] [--out DIR] [--jobs J] [--json]
                     [--max-orders N] [--max-memory MB] [--calibration FILE]
                     [--shard I/N | --shard-count N [--shard-index I]]

Runs the scenario through the real dispatch core on a virtual clock: the scenario's baseline and
candidate configurations (compare.baseline / compare.candidate), N replications each. Replication r
uses the same seed for both configurations, so they see the same orders and the same faults.
Writes one RunResult per configuration to <out>/<scenario>.<config>.json.

<scenario>   a built-in name (${BUILTIN_SCENARIOS.join(", ")}) or a path to a scenario .ts file

Options:
  --config NAME|FILE   run only this configuration (a preset: legacy, adaptive; or a JSON config file
                       {"extends": "legacy"|"adaptive", ...overrides}; without "extends", over adaptive)
  --replications N     replications per configuration (default 3)
  --seed S             base seed (default: the scenario's seed)
  --out DIR            output folder (default out/sim)
  --jobs J             run replications on J worker threads (default 1); results are identical
  --json               print the written RunResults' summaries as JSON instead of a table
  --calibration FILE   a calibration profile (rushhour calibrate --out): its measured CPU costs, store
                       times and provider latencies replace the scenario's typed-in ones (as
                       cluster.profile does); the RunResults record which profile ran
  --max-orders N       refuse a run expected to create more than N orders in all (the integral of the
                       arrival rate x configurations x replications) (default ${DEFAULT_MAX_ORDERS})
  --max-memory MB      refuse a run expected to need more memory than this (default ${DEFAULT_MAX_MEMORY_MB})
  --shard I/N          run only shard I (0-based) of N: replications r with r mod N = I, of every
                       configuration; writes partial RunResults <scenario>.<config>.shard-I-of-N.json
                       that rushhour merge joins into exactly the unsharded run's result
  --shard-count N      the same, the index from --shard-index I or $JOB_COMPLETION_INDEX (an Indexed Job)

Exit codes: 0 every threshold passed, 1 a threshold failed, 2 bad usage, scenario or configuration.
`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      config: { type: "string" },
      replications: { type: "string" },
      seed: { type: "string" },
      out: { type: "string" },
      jobs: { type: "string" },
      json: { type: "boolean" },
      "max-orders": { type: "string" },
      "max-memory": { type: "string" },
      calibration: { type: "string" },
      ...segmentOptions("shard"),
    });
    const problems: string[] = [];
    if (positionals.length !== 1) problems.push("give exactly one scenario (a built-in name or a .ts file)");
    const replications = values.replications === undefined ? 3 : Number(values.replications);
    if (!Number.isInteger(replications) || replications < 1 || replications > 1000) {
      problems.push(`--replications must be an integer between 1 and 1000, got "${values.replications}"`);
    }
    const seed = values.seed === undefined ? undefined : Number(values.seed);
    if (seed !== undefined && !Number.isSafeInteger(seed)) {
      problems.push(`--seed must be an integer, got "${values.seed}"`);
    }
    const jobs = values.jobs === undefined ? 1 : Number(values.jobs);
    if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64) {
      problems.push(`--jobs must be an integer between 1 and 64, got "${values.jobs}"`);
    }
    const maxOrders = values["max-orders"] === undefined ? DEFAULT_MAX_ORDERS : Number(values["max-orders"]);
    if (!Number.isSafeInteger(maxOrders) || maxOrders < 1) {
      problems.push(`--max-orders must be a whole number of at least 1, got "${values["max-orders"]}"`);
    }
    const maxMemoryMb =
      values["max-memory"] === undefined ? DEFAULT_MAX_MEMORY_MB : Number(values["max-memory"]);
    if (!Number.isSafeInteger(maxMemoryMb) || maxMemoryMb < 1) {
      problems.push(`--max-memory must be a whole number of MB, at least 1, got "${values["max-memory"]}"`);
    }
    if (problems.length > 0) throw new UsageError(problems.join("\n  "));
    checkOutFlag(values.out);
    const shard = segmentFromFlags("shard", values);

    const scenario = await scenarioArgument(positionals[0]!, values.calibration);
    const tty = process.stdout.isTTY === true;
    const bar = tty
      ? new cliProgress.SingleBar(
          { format: "sim {bar} {percentage}% | {label} | ETA {eta_formatted}", hideCursor: true, fps: 10 },
          cliProgress.Presets.shades_classic,
        )
      : null;
    bar?.start(1, 0, { label: "" });
    let results: RunResult[];
    try {
      results = await runSimulated(scenario, {
        ...(values.config !== undefined ? { config: values.config } : {}),
        replications,
        jobs,
        ...(seed !== undefined ? { seed } : {}),
        command: ["rushhour", "sim", ...argv],
        limits: { maxOrders, maxMemoryMb },
        ...(shard !== undefined ? { shard } : {}),
        onProgress: bar ? (done, total, label) => bar.update(done / total, { label }) : undefined,
      });
    } catch (err) {
      if (err instanceof ConfigError || err instanceof SimScenarioError)
        throw new UsageError(err.message, { cause: err });
      throw err;
    } finally {
      bar?.stop();
    }

    const outDir = values.out ?? "out/sim";
    const written: string[] = [];
    for (const r of results) {
      const file = runFile(resolve(outDir), scenario.name, r.config.name, shardSuffix(shard));
      writeRunResult(file, r);
      written.push(file);
    }
    const failed = results.flatMap((r) => r.thresholds.filter((t) => !t.pass).map((t) => ({ r, t })));
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify(
          results.map((r, i) => ({
            file: written[i],
            config: r.config.name,
            role: r.config.role,
            summary: r.summary,
            counters: r.counters,
            thresholds: r.thresholds,
          })),
          null,
          2,
        )}\n`,
      );
    } else {
      process.stdout.write(summaryTable(scenario, results, replications));
      for (const { r, t } of failed) {
        process.stdout.write(
          `threshold failed: ${r.config.name} ${t.metric} ${t.expression} (observed ${t.observed === null ? "n/a" : fmt(t.observed)})\n`,
        );
      }
      process.stdout.write(`wrote:\n${written.map((f) => `  ${f}`).join("\n")}\n`);
    }
    return failed.length > 0 ? EXIT.failed : EXIT.ok;
  },
};

function fmt(x: number): string {
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (Math.abs(x) >= 1) return x.toFixed(1);
  return x.toFixed(3);
}

function summaryTable(scenario: Scenario, results: RunResult[], replications: number): string {
  const ci = (c: { mean: number; lo: number; hi: number }, unit = "") =>
    replications > 1 ? `${fmt(c.mean)}${unit} [${fmt(c.lo)}, ${fmt(c.hi)}]` : `${fmt(c.mean)}${unit}`;
  const pct = (c: { mean: number; lo: number; hi: number }) =>
    ci({ mean: c.mean * 100, lo: c.lo * 100, hi: c.hi * 100 }, "%");
  const rows: string[][] = [
    [
      "config",
      "goodput peak/s",
      "raw peak/s",
      "P50 ms",
      "P99 ms",
      "CPU peak primary",
      "errors",
      "retries",
      "interventions/day",
      "complaint-risk/day",
      "thresholds",
    ],
  ];
  for (const r of results) {
    const s = r.summary;
    const failed = r.thresholds.filter((t) => !t.pass).length;
    rows.push([
      `${r.config.name} (${r.config.role})`,
      s.goodputPeak ? ci(s.goodputPeak) : "-",
      ci(s.throughputPeak),
      ci(s.p50),
      ci(s.p99),
      s.cpuPeak.primary ? pct(s.cpuPeak.primary) : "-",
      pct(s.errorRate),
      String(r.counters.retried),
      s.interventionsPerDay ? ci(s.interventionsPerDay) : "-",
      s.complaintRiskPerDay ? ci(s.complaintRiskPerDay) : "-",
      r.thresholds.length === 0 ? "-" : failed === 0 ? "pass" : `${failed} FAILED`,
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const lines = rows.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join("  ")
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
  const mean = results[0] ? ` (CI: 95% over ${replications} replications)` : "";
  return `${scenario.name}: ${scenario.description}${replications > 1 ? mean : ""}\n${lines.join("\n")}\n`;
}
