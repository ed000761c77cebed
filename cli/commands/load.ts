// `rushhour load`: replays a scenario against a live server with the open-model driver in load/. Parses the
// command line, calls the live workflow (workflows/live.ts) and prints what it returns.

import { resolve } from "node:path";
import { loadCredentials } from "../../load/credentials.ts";
import type { LoadProgress } from "../../load/run-load.ts";
import { type RunResult, writeRunResult } from "../../results/run-result.ts";
import { BUILTIN_SCENARIOS } from "../../scenarios/define.ts";
import { ConfigError } from "../../simulator/configs.ts";
import { tryParseDuration } from "../../traffic/duration.ts";
import { runFile } from "../../workflows/files.ts";
import { type LiveRun, LiveScenarioError, runLive } from "../../workflows/live.ts";
import { parseCommandArgs } from "../args.ts";
import { type Command, EXIT, UsageError } from "../command.ts";
import { checkOutFlag } from "../errors.ts";
import { recordFlag } from "../record-flag.ts";
import { scenarioArgument } from "../scenario-argument.ts";
import { segmentFromFlags, segmentOptions, shardSuffix } from "../segment-flags.ts";
import { targetsFlag } from "../target-flag.ts";

const help = `Usage: rushhour load <scenario> [--target HOST:PORT[,HOST:PORT...]] [--config NAME|FILE] [--out DIR]
                     [--duration-scale F] [--admin-token T] [--workers N] [--tls-ca FILE] [--token T]
                     [--segment I/N | --segment-count N [--segment-index I]] [--start-at ISO-TIME]
                     [--record FILE] [--trace] [--warmup DURATION]

Replays the scenario's traffic against a live dispatch server in real time, open model: every order is
sent at its intended time and timed from it (no coordinated omission); an order due while maxVUs
orders are in flight is counted as dropped, never sent late. Latencies go into HDR histograms per
window and for the whole run, merged across worker threads before thresholds are judged.

Without --target it starts what the scenario needs on 127.0.0.1 (a provider farm with the scenario's
provider models, a backup rushhour serve --role backup unless the scenario sets cluster.backupDeployed:
false, then rushhour serve with the configuration, forwarding its overflow to the backup; both on one
temporary SQLite store) and stops it afterwards. With --target it drives those servers, spreading orders across them; the configuration is
applied there through the Admin API, each server taken for one instance of the primary cluster (its share
of the scenario's cluster.primary.workers, as the simulator sizes the cluster). Either way it imports card stock, applies the scenario's faults
at their moments (InjectFault), and samples GetSnapshot every window (CPU, event-loop utilisation,
provider health, queue depths, route switches).
Runs the scenario's baseline then candidate configuration, unless --config names one.
Writes one RunResult (kind "load") per configuration to <out>/<scenario>.<config>.json.

<scenario>   a built-in name (${BUILTIN_SCENARIOS.join(", ")}) or a path to a scenario .ts file

Options:
  --target LIST        HOST:PORT of running servers, comma-separated (default: start a local stack)
  --config NAME|FILE   run only this configuration (legacy, adaptive, or a JSON config file)
  --out DIR            output folder (default out/load)
  --duration-scale F   multiply every duration (stages, fault times and durations, drain) by F, e.g. 0.25
                       (default: the scenario's live.durationScale, else 1)
  --admin-token T      bearer token of the servers' AdminService with --target
                       (default $RUSHHOUR_ADMIN_TOKEN; without one: no stock, faults or snapshots)
  --admin-token-file F the admin token from file F (an argument is visible to every user in ps)
  --token T            client token for DispatchService (serve --client-tokens) with --target
                       (default $RUSHHOUR_CLIENT_TOKEN)
  --token-file F       the client token from file F
  --tls-ca FILE        speak TLS to the --target servers (serve --tls-cert), trusting this PEM CA
  --tls-client-cert F  with --tls-client-key F: our PEM certificate and key for servers that ask for
                       one (serve --tls-client-ca)
  --warmup DURATION    run the local stack unmeasured for this long at half the scenario's peak rate
                       first, so a freshly started server's compilation is not read as latency, then
                       waits until the server has finished the warm-up's orders (default 0: none; not
                       with --target)
  --record FILE        write the orders sent (time, SKU, tier, key) to this order log (CSV; gzip when FILE
                       ends in .gz), replayable with traffic { executor: "replay" }; with two
                       configurations each gets its own file (orders.adaptive.csv.gz)
  --trace              send a W3C traceparent with every order (trace id = a run prefix + the iteration) and
                       list the run's 10 slowest delivered orders with their trace ids, to find each one
                       in the server's traces (serve --otlp)
  --workers N          driver engine processes (0 or 1: one; default from the peak rate, at most cores - 1)
  --segment I/N        drive only shard I (0-based) of N of the schedule, with --target: iteration k is
                       this shard's when k mod N = I (k6 execution segments), maxVUs split the same way;
                       writes a partial RunResult <scenario>.<config>.shard-I-of-N.json for rushhour merge.
                       Only shard 0 uses the admin token (configuration, stock, faults, snapshots)
  --segment-count N    the same, the index from --segment-index I or $JOB_COMPLETION_INDEX (an Indexed Job)
  --start-at T         start the traffic at this instant (ISO 8601, e.g. 2026-12-01T04:00:00Z), the same
                       for every shard (clocks NTP-synced); a shard ready late says by how much
  -h, --help           show this help

Scenario live block (optional): cardStock, durationScale, maxVUs, preAllocatedVUs, requestTimeout,
workers, abortOnFail (true or a list of threshold metrics), delayAbortEval (default "10s").
topology ({ instances: N, backup: true, store: "postgres" | URL }): without --target, start N primary
instances and a backup on one PostgreSQL database (a throwaway cluster by default), the provider farm
apart, and spread the load over the primaries; after the run, audit the store (no card twice, every
acknowledged order DELIVERED or FAILED, cards of FAILED orders released): a failing audit exits 1.
chaos ([{ at, action: "kill-instance", target: "primary-2", restartAfter }, { at, action: "kill-farm",
restartAfter }, { at, action: "pause-db", duration }]): kill -9 and restarts, database pauses; each
action is recorded in the RunResult.

A progress line (rate achieved, P99 so far, errors, dropped) is shown when stdout is a terminal.
Exit codes: 0 every threshold passed, 1 a threshold failed or abortOnFail stopped the run,
2 bad usage, scenario or configuration.
`;

function fmt(x: number): string {
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (Math.abs(x) >= 1) return x.toFixed(1);
  return x.toFixed(3);
}

function progressLine(label: string, p: LoadProgress): string {
  return (
    `load ${label} ${p.elapsedS.toFixed(0)}/${p.totalS.toFixed(0)}s | ${p.achievedRate.toFixed(0)}/s | ` +
    `P99 ${fmt(p.p99)} ms | delivered ${p.delivered} | errors ${p.errors} | dropped ${p.dropped}`
  );
}

function summaryTable(results: RunResult[]): string {
  const rows = [
    [
      "config",
      "delivered",
      "goodput peak/s",
      "raw peak/s",
      "P50 ms",
      "P99 ms",
      "errors",
      "dropped",
      "interventions/day",
      "complaint-risk/day",
      "thresholds",
    ],
  ];
  for (const r of results) {
    const failed = r.thresholds.filter((t) => !t.pass).length;
    rows.push([
      `${r.config.name} (${r.config.role})`,
      String(r.counters.delivered),
      r.summary.goodputPeak ? fmt(r.summary.goodputPeak.mean) : "-",
      fmt(r.summary.throughputPeak.mean),
      fmt(r.summary.p50.mean),
      fmt(r.summary.p99.mean),
      `${fmt(r.summary.errorRate.mean * 100)}%`,
      String(r.counters.dropped),
      r.summary.interventionsPerDay ? fmt(r.summary.interventionsPerDay.mean) : "-",
      r.summary.complaintRiskPerDay ? fmt(r.summary.complaintRiskPerDay.mean) : "-",
      r.thresholds.length === 0 ? "-" : failed === 0 ? "pass" : `${failed} FAILED`,
    ]);
  }
  const widths = (rows[0] as string[]).map((_, i) =>
    Math.max(...rows.map((row) => (row[i] as string).length)),
  );
  return `${rows.map((row) => row.map((c, i) => c.padEnd(widths[i] as number)).join("  ")).join("\n")}\n`;
}

export const loadCommand: Command = {
  name: "load",
  summary: "replay a scenario against a live server (open-model load driver, RunResult out)",
  help,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      target: { type: "string" },
      config: { type: "string" },
      out: { type: "string" },
      "duration-scale": { type: "string" },
      "admin-token": { type: "string" },
      "admin-token-file": { type: "string" },
      token: { type: "string" },
      "token-file": { type: "string" },
      "tls-ca": { type: "string" },
      "tls-client-cert": { type: "string" },
      "tls-client-key": { type: "string" },
      workers: { type: "string" },
      ...segmentOptions("segment"),
      "start-at": { type: "string" },
      record: { type: "string" },
      warmup: { type: "string" },
      trace: { type: "boolean" },
    });
    checkOutFlag(values.out);
    const record = values.record === undefined ? undefined : recordFlag(values.record);
    const problems: string[] = [];
    if (positionals.length !== 1) problems.push("give exactly one scenario (a built-in name or a .ts file)");
    const targets = targetsFlag(values.target, problems);
    let scale: number | undefined;
    if (values["duration-scale"] !== undefined) {
      const raw = values["duration-scale"];
      const n = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(n) || n <= 0 || n > 1000) {
        problems.push(`--duration-scale must be a number > 0 (e.g. 0.25), got "${raw}"`);
      } else scale = n;
    }
    let workers: number | undefined;
    if (values.workers !== undefined) {
      workers = Number(values.workers);
      if (values.workers.trim() === "" || !Number.isInteger(workers) || workers < 0 || workers > 64) {
        problems.push(`--workers must be an integer in [0, 64], got "${values.workers}"`);
      }
    }
    const segment = segmentFromFlags("segment", values);
    if (segment !== undefined && targets === undefined) {
      problems.push("--segment drives running servers shared by every shard: give them with --target");
    }
    if (segment !== undefined && values.config === undefined) {
      problems.push("--segment runs one configuration (every shard the same): add --config NAME|FILE");
    }
    let startAtEpochMs: number | undefined;
    if (values["start-at"] !== undefined) {
      startAtEpochMs = Date.parse(values["start-at"]);
      if (!/^\d{4}-\d\d-\d\dT/.test(values["start-at"]) || !Number.isFinite(startAtEpochMs)) {
        problems.push(
          `--start-at must be an ISO 8601 instant (e.g. 2026-12-01T04:00:00Z), got "${values["start-at"]}"`,
        );
      } else if (startAtEpochMs - Date.now() > 86_400_000) {
        problems.push(`--start-at ${values["start-at"]} is more than a day away`);
      }
    }
    const warmupMs = tryParseDuration(values.warmup ?? "0");
    if (warmupMs === undefined || warmupMs > 3_600_000) {
      problems.push(`--warmup must be a duration up to 1h (e.g. 10s, or 0), got "${values.warmup}"`);
    } else if (warmupMs > 0 && targets !== undefined) {
      problems.push("--warmup warms the local stack: not with --target (running servers are warm)");
    }
    const { credentials, problems: credentialProblems } = loadCredentials(values);
    problems.push(...credentialProblems);
    const token = credentials.adminToken;
    const credentialFlags = ["admin-token", "admin-token-file", "token", "token-file", "tls-ca"] as const;
    for (const flag of [...credentialFlags, "tls-client-cert", "tls-client-key"] as const) {
      if (values[flag] !== undefined && targets === undefined) {
        problems.push(`--${flag} is for --target (a local stack makes its own credentials)`);
      }
    }
    if (problems.length > 0) throw new UsageError(problems.join("\n  "));

    const scenario = await scenarioArgument(positionals[0] as string);
    const tty = process.stdout.isTTY === true;
    const log = (line: string) => {
      if (process.stderr.isTTY) process.stderr.write(`${tty ? "\r\x1b[K" : ""}rushhour load: ${line}\n`);
    };
    const warn = (line: string) => process.stderr.write(`${tty ? "\r\x1b[K" : ""}rushhour load: ${line}\n`);
    const outDir = values.out ?? "out/load";
    const written: string[] = [];
    let run: LiveRun;
    try {
      run = await runLive(scenario, {
        ...(values.config !== undefined ? { config: values.config } : {}),
        ...(targets !== undefined
          ? { targets, adminToken: token, tls: credentials.tls, clientToken: credentials.clientToken }
          : {}),
        ...(scale !== undefined ? { durationScale: scale } : {}),
        ...(workers !== undefined ? { workers } : {}),
        ...(segment !== undefined ? { segment } : {}),
        ...(startAtEpochMs !== undefined ? { startAtEpochMs } : {}),
        ...(record !== undefined ? { record } : {}),
        ...(values.trace === true ? { trace: true } : {}),
        ...(warmupMs !== undefined && warmupMs > 0 ? { warmupMs } : {}),
        command: ["rushhour", "load", ...argv],
        ...(tty
          ? {
              onProgress: (label: string, p: LoadProgress) =>
                process.stdout.write(`\r\x1b[K${progressLine(label, p)}`),
            }
          : {}),
        onResult: (result) => {
          if (tty) process.stdout.write("\r\x1b[K");
          const file = runFile(resolve(outDir), scenario.name, result.config.name, shardSuffix(segment));
          writeRunResult(file, result);
          written.push(file);
        },
        log,
        warn,
      });
    } catch (err) {
      if (err instanceof ConfigError || err instanceof LiveScenarioError) throw new UsageError(err.message);
      throw err;
    }
    const { results, aborts } = run;

    process.stdout.write(summaryTable(results));
    const failed = results.flatMap((r) => r.thresholds.filter((t) => !t.pass).map((t) => ({ r, t })));
    for (const { r, t } of failed) {
      process.stdout.write(
        `threshold failed: ${r.config.name} ${t.metric} ${t.expression} (observed ${t.observed === null ? "n/a" : fmt(t.observed)})\n`,
      );
    }
    for (const r of results) {
      for (const c of r.chaos ?? []) {
        process.stdout.write(
          `chaos: t=${c.t.toFixed(1)}s ${c.action} ${c.target}: ${c.outcome}` +
            `${c.recoveredT === undefined ? "" : `, back at t=${c.recoveredT.toFixed(1)}s`}\n`,
        );
      }
      const a = r.audit;
      if (a !== undefined) {
        process.stdout.write(
          `audit ${r.config.name}: ${a.pass ? "pass" : "FAILED"} (${a.totalOrders} orders, ` +
            `${a.duplicateCards} duplicate cards, ${a.nonTerminalOrders} unfinished, ` +
            `${a.failedHoldingCards} failed holding cards)${a.pass ? "" : `: ${a.problems.join("; ")}`}\n`,
        );
      }
    }
    for (const r of results) {
      if (r.slowestOrders === undefined || r.slowestOrders.length === 0) continue;
      process.stdout.write(`slowest delivered orders of ${r.config.name} (find them by trace id):\n`);
      for (const s of r.slowestOrders)
        process.stdout.write(`  ${fmt(s.latencyMs).padStart(9)} ms  trace ${s.traceId}\n`);
    }
    for (const a of aborts) process.stdout.write(`aborted early (abortOnFail): ${a}\n`);
    process.stdout.write(`wrote:\n${written.map((f) => `  ${f}`).join("\n")}\n`);
    return failed.length > 0 || aborts.length > 0 ? EXIT.failed : EXIT.ok;
  },
};
