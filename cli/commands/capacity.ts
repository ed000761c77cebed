import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { FontMissingError } from "../../reports/png.ts";
import { progressBar } from "../../reports/progress.ts";
import { parseDuration } from "../../traffic/duration.ts";
import {
  type CapacityReport,
  capacityProbe,
  capacitySummary,
  liveCapacity,
  objectiveOf,
  searchStart,
  simulatedCapacity,
  writeCapacityReport,
} from "../../workflows/capacity.ts";
import { CAPACITY_SHARD_KIND, shardedSearch, writeCapacityShard } from "../../workflows/capacity-shard.ts";
import { numberFlag, parseCommandArgs } from "../args.ts";
import { type Command, EXIT, UsageError } from "../command.ts";
import { checkOutFlag } from "../errors.ts";
import { configArgument, scenarioArgument } from "../scenario-argument.ts";
import { segmentFromFlags, segmentOptions } from "../segment-flags.ts";

export const capacity: Command = {
  name: "capacity",
  summary: "highest arrival rate meeting the P99 objective (simulated search, live check) and a USL fit",
  help: `Usage: rushhour capacity <scenario> [--config NAME|FILE] [--objective-ms N] [--duration D] [--replications N]
                         [--tolerance PCT] [--max-probes N] [--no-live] [--live-duration D]
                         [--usl-levels LIST] [--usl-duration D] [--out DIR] [--calibration FILE]
                         [--shard I/N | --shard-count N [--shard-index I]]

1. Simulated search: runs the scenario's candidate configuration (or --config) at constant arrival rates
   (the scenario's providers, SKUs and cluster; its faults left out) and finds the highest rate whose P99
   stays under the objective with the error rate within the scenario's errors threshold (else 1%), so
   shedding load never counts as capacity. It starts at the scenario's peak rate, doubles or halves to
   bracket the boundary, then bisects to the tolerance.
2. Live confirmation: one short constant-rate run of that rate with the live workflow (as \`rushhour load\`) against a local stack
   started once for every live run (a provider farm with the scenario's providers, rushhour serve on
   127.0.0.1 and, when the scenario deploys one, a backup server behind it: this machine, not the modelled
   cluster, so expect it to fall short when the model is bigger).
3. Universal Scalability Law: live constant-vus runs at each concurrency level; fits
   X(N) = lambda N / (1 + alpha (N-1) + beta N (N-1)) and reports alpha, beta and the peak concurrency
   N* = sqrt((1 - alpha) / beta), with the fit's residuals plotted.
Writes DIR/index.html (charts, probes), DIR/charts/*.png and DIR/capacity.json; prints the findings.

Sharded (--shard I/N, one pod of a Kubernetes Indexed Job each): bisection cannot be split (each step
needs the last one's verdict), so every shard runs the bracket phase the same way (seeded: the same
bracket), then the rates between the bracket's ends, spaced at the tolerance, are a grid whose candidate
k is shard k mod N's. Each shard writes DIR/capacity.shard-I-of-N.json (simulated search only: no live
runs); rushhour merge <those files or folders> --out DIR joins them and writes the report, the best rate
being the highest grid rate that met the objective below the lowest that missed. The grid costs more
probes in all than bisection, so it pays with many pods.

Options:
  --config NAME|FILE     configuration to size (default: the scenario's candidate)
  --objective-ms N       P99 objective in ms (default: the scenario's latency p(99)<N threshold)
  --duration D           simulated length of each probe                     default 60s
  --replications N       simulated replications per probe                    default 1
  --tolerance PCT        stop bisecting when the bracket is this narrow      default 2%
  --max-probes N         simulated runs at most                              default 14
  --no-live              simulated search only (no live confirmation, no USL)
  --live-duration D      length of the live confirmation run                  default 10s
  --usl-levels LIST      concurrency levels for the USL, must include 1      default 1,2,4,8,16,32
  --usl-duration D       length of each live constant-vus run                 default 6s
  --out DIR              output folder                                        default out/capacity
  --calibration FILE     simulate with this calibration profile (rushhour calibrate)
  --shard I/N            run shard I (0-based) of N of the simulated search (also --shard-count N with
                         --shard-index I or $JOB_COMPLETION_INDEX)

Exit codes: 0 done, 2 bad usage or scenario (or no P99 objective to size against).
`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      config: { type: "string" },
      "objective-ms": { type: "string" },
      duration: { type: "string" },
      replications: { type: "string" },
      tolerance: { type: "string" },
      "max-probes": { type: "string" },
      "no-live": { type: "boolean" },
      "live-duration": { type: "string" },
      "usl-levels": { type: "string" },
      "usl-duration": { type: "string" },
      out: { type: "string" },
      calibration: { type: "string" },
      ...segmentOptions("shard"),
    });
    checkOutFlag(values.out);
    const problems: string[] = [];
    if (positionals.length !== 1) problems.push("give exactly one scenario (a built-in name or a .ts file)");
    const durationMs = durationFlag("duration", values.duration, 60_000, problems);
    const liveS = durationFlag("live-duration", values["live-duration"], 10_000, problems) / 1000;
    const uslS = durationFlag("usl-duration", values["usl-duration"], 6_000, problems) / 1000;
    const replications = numberFlag("replications", values.replications, 1);
    if (!Number.isInteger(replications) || replications < 1 || replications > 100) {
      problems.push(`--replications must be an integer between 1 and 100, got "${values.replications}"`);
    }
    const tolText = values.tolerance ?? "2%";
    const tolerance = Number(tolText.replace(/%$/, "")) / 100;
    if (!(tolerance > 0 && tolerance < 1))
      problems.push(`--tolerance must be a percentage like 2%, got "${tolText}"`);
    const maxProbes = numberFlag("max-probes", values["max-probes"], 14);
    if (!Number.isInteger(maxProbes) || maxProbes < 2 || maxProbes > 100) {
      problems.push(`--max-probes must be an integer between 2 and 100, got "${values["max-probes"]}"`);
    }
    let objectiveMs: number | undefined;
    if (values["objective-ms"] !== undefined) {
      objectiveMs = numberFlag("objective-ms", values["objective-ms"], 0);
      if (!(objectiveMs > 0)) problems.push(`--objective-ms must be > 0, got "${values["objective-ms"]}"`);
    }
    const levels = (values["usl-levels"] ?? "1,2,4,8,16,32").split(",").map((s) => Number(s.trim()));
    if (
      levels.some((n) => !Number.isInteger(n) || n < 1) ||
      !levels.includes(1) ||
      new Set(levels).size < 3
    ) {
      problems.push(
        `--usl-levels must be at least 3 distinct positive integers including 1, got "${values["usl-levels"]}"`,
      );
    }
    if (problems.length > 0) throw new UsageError(problems.join("\n  "));
    const shard = segmentFromFlags("shard", values);

    const scenario = await scenarioArgument(positionals[0]!, values.calibration);
    const objective = objectiveOf(scenario, objectiveMs);
    if (!objective) {
      throw new UsageError(
        `${scenario.name} has no latency p(99)<N threshold: give the objective with --objective-ms`,
      );
    }
    const arm = configArgument(scenario, values.config);
    const configName = arm.name;
    const config = arm.config;

    if (shard !== undefined) {
      const options = { configName, config, objective, durationMs, replications, tolerance, maxProbes };
      const start = searchStart(scenario);
      const found = await shardedSearch(
        capacityProbe(scenario, options),
        { start, tolerance, maxProbes },
        shard,
      );
      const outDir = values.out ?? "out/capacity";
      mkdirSync(outDir, { recursive: true });
      const file = writeCapacityShard(
        {
          kind: CAPACITY_SHARD_KIND,
          scenario: scenario.name,
          config: configName,
          objective,
          settings: { durationMs, replications, tolerance, start },
          shard: { index: shard.index, count: shard.count },
          ...found,
        },
        outDir,
      );
      const hi = found.bracket.hi === null ? "none missed" : `${found.bracket.hi.toFixed(0)}/s missed`;
      process.stdout.write(
        `${scenario.name} (${configName}) shard ${shard.index}/${shard.count}: bracket ${found.bracket.lo.toFixed(0)}/s met, ${hi}; ` +
          `${found.probes.length} of ${found.candidates.length} grid rates here (${found.probes.filter((p) => p.ok).length} met)\n${resolve(file)}\n`,
      );
      return EXIT.ok;
    }
    const bar = progressBar("capacity");
    const log = (line: string) => {
      if (process.stdout.isTTY) process.stderr.write(`\r\x1b[K${line}\n`);
    };
    const search = await simulatedCapacity(scenario, {
      configName,
      config,
      objective,
      durationMs,
      replications,
      tolerance,
      maxProbes,
      onProbe: (p) => {
        bar.update(0, 1, "");
        log(
          `sim ${p.rate.toFixed(0)}/s: P99 ${p.p99Ms.toFixed(0)} ms, errors ${(p.errorRate * 100).toFixed(2)}% ${p.ok ? "met" : "missed"}`,
        );
      },
    });
    const rep: CapacityReport = { scenario: scenario.name, config: configName, objective, search };
    if (values["no-live"]) {
      rep.liveNote = "live confirmation skipped (--no-live)";
      rep.uslNote = "USL fit skipped (--no-live): it needs live constant-vus runs";
    } else {
      Object.assign(
        rep,
        await liveCapacity(scenario, {
          arm,
          levels,
          uslSeconds: uslS,
          confirmSeconds: liveS,
          best: search.best,
          objective,
          log,
          ...(process.env.RUSHHOUR_DEBUG ? { warn: (t: string) => process.stderr.write(`${t}\n`) } : {}),
        }),
      );
    }
    bar.stop();
    let files: { html: string; json: string };
    try {
      files = writeCapacityReport(rep, values.out ?? "out/capacity");
    } catch (err) {
      if (err instanceof FontMissingError) throw new UsageError(err.message);
      throw err;
    }
    process.stdout.write(
      `${scenario.name} (${configName})\n${capacitySummary(rep)
        .map((l) => `  ${l}`)
        .join("\n")}\n${resolve(files.html)}\n`,
    );
    return EXIT.ok;
  },
};

function durationFlag(name: string, text: string | undefined, fallback: number, problems: string[]): number {
  if (text === undefined) return fallback;
  try {
    const ms = parseDuration(text);
    if (ms > 0) return ms;
  } catch {
    // reported below
  }
  problems.push(`--${name} must be a duration like 30s or 2m, got "${text}"`);
  return fallback;
}
