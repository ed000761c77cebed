// `rushhour calibrate`: measures a deployment and writes a calibration profile. Parses the command line,
// calls workflows/calibrate.ts and writes what it returns.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import cliProgress from "cli-progress";
import { loadCredentials } from "../../load/credentials.ts";
import type { CalibrationProfile } from "../../scenarios/calibration-profile.ts";
import { BUILTIN_SCENARIOS } from "../../scenarios/define.ts";
import { tryParseDuration } from "../../traffic/duration.ts";
import { CalibrateError, type CalibrateStore, calibrate } from "../../workflows/calibrate.ts";
import { parseCommandArgs } from "../args.ts";
import { type Command, EXIT, UsageError } from "../command.ts";
import { scenarioArgument } from "../scenario-argument.ts";
import { targetsFlag } from "../target-flag.ts";

const help = `Usage: rushhour calibrate [scenario] --out FILE [--store memory|sqlite] [--rates 200,400,600,800,1000] [--step 10s] [--warmup 10s]
                          [--target HOST:PORT[,HOST:PORT...] --admin-token T]

Measures a deployment and writes a calibration profile (JSON, versioned) that \`rushhour sim --calibration
FILE\`, \`rushhour twin\` and a scenario's cluster.profile read in place of typed-in costs.

Holds each rate steady for --step (the scenario's providers, SKUs, cluster size and candidate
configuration, with health tracking off on a local stack so every order takes every stage; no faults)
and measures, per completed order, the CPU time of the server, of the load
driver (this process) and of the provider farm (/proc, Linux). The server's CPU per order is the slope of a
linear regression of CPU ms per second over completed orders per second across the steps; each step's
residual is kept. A step that completed less than 90% of the orders it sent was past saturation and is
left out of the fit (at least 2 steps must remain: give lower --rates otherwise). Each step also records
the server's event-loop busy time per order over its traffic (the simulator queues orders' CPU on that loop),
and its garbage-collection pauses per order and their mean length (the simulator books that share of the loop's
work as whole pauses, which the orders arriving during one wait out), and how many turns its event loop went
round. Busy ms per second against turns and orders per second gives what a turn costs and what an order
costs beyond its turns (cpu.loopTurns, when every step counted turns and both come out positive; steps whose
loop was busy 950 ms a second or more are saturated and left out of it): the
simulator charges the order's share over the stages and a wake to each turn of its loop, so the loop's
busy time per order falls as a busy loop serves more in each turn, as the live one's does. What a queued order costs the loop
per second (cpuCostMs.waitPerSecond) is read from the steps that fell behind, window by window: their loop
time beyond what their completions cost, against their queue (0 when fewer than 3 windows held a queue, so
give a rate past the knee to measure it).
The server's own timings (GetSnapshot, taken before and after each step) give the mean store operation
times and the provider, risk and email latencies as it saw them (101 quantiles each, an empirical
distribution), all at the lowest rate: as the rate grows an answer waits longer for the server's event
loop, and the simulator makes its answers wait for its own loop's queue, so a latency taken at a higher
rate would count that wait twice. Half the median admin round trip gives the hop. The profile
says where and when it was measured (host, cores, CPU model, node version, commit).

Without --target it starts a provider farm and rushhour serve on 127.0.0.1, fresh for each step (a server
that served the earlier steps carries their orders into the next). The driver and the farm share the
server's machine, and the profile says so: their CPU per order is charged to the same cores. With
--target it measures running servers (their CPU from GetSnapshot; driver and farm are not co-located).

<scenario>   a built-in name (${BUILTIN_SCENARIOS.join(", ")}) or a scenario .ts file (default promo-peak)

Options:
  --out FILE           where to write the profile (required)
  --store KIND         the local stack's store: memory or sqlite (default sqlite)
  --rates LIST         steady rates, orders per second, comma-separated, at least 2
                       (default 200,400,600,800,1000)
  --step DURATION      how long each rate is held (default 10s)
  --warmup DURATION    before each step, an unmeasured run at its rate, so a server's compilation and
                       growth into the rate are not read as CPU per order or as latency; a local
                       stack then finishes the warm-up's orders before the step (default 10s; 0 for none)
  --target LIST        HOST:PORT of running servers, comma-separated (default: start a local stack)
  --admin-token T      their AdminService token (default $RUSHHOUR_ADMIN_TOKEN)
  --admin-token-file F the admin token from file F
  -h, --help           show this help

Exit codes: 0 profile written, 2 bad usage or a measurement that could not be fitted.
`;

/** "--rates 200,600,1000" as numbers; problems name the flag and the bad item. */
export function parseRates(raw: string, problems: string[]): number[] {
  const rates = raw.split(",").map((s) => s.trim());
  const out: number[] = [];
  for (const r of rates) {
    const n = Number(r);
    if (r === "" || !Number.isFinite(n) || n <= 0 || n > 100_000) {
      problems.push(`--rates: "${r}" is not a rate in (0, 100000] orders per second`);
    } else out.push(n);
  }
  if (problems.length === 0 && out.length < 2)
    problems.push("--rates: give at least 2 rates to fit the CPU cost");
  return out;
}

export const calibrateCommand: Command = {
  name: "calibrate",
  summary: "measure a deployment (CPU per order, store and provider timings) and write a calibration profile",
  help,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      out: { type: "string" },
      store: { type: "string" },
      rates: { type: "string" },
      step: { type: "string" },
      warmup: { type: "string" },
      target: { type: "string" },
      "admin-token": { type: "string" },
      "admin-token-file": { type: "string" },
    });
    const problems: string[] = [];
    if (positionals.length > 1) problems.push("give at most one scenario (a built-in name or a .ts file)");
    if (values.out === undefined || values.out.trim() === "") problems.push("--out FILE is required");
    const store = (values.store ?? "sqlite") as CalibrateStore;
    if (store !== "memory" && store !== "sqlite") {
      problems.push(`--store must be memory or sqlite, got "${values.store}"`);
    }
    const rates = parseRates(values.rates ?? "200,400,600,800,1000", problems);
    const stepMs = tryParseDuration(values.step ?? "10s");
    if (stepMs === undefined || stepMs < 1000 || stepMs > 3_600_000) {
      problems.push(`--step must be a duration from 1s to 1h (e.g. 10s), got "${values.step}"`);
    }
    const warmupMs = tryParseDuration(values.warmup ?? "10s");
    if (warmupMs === undefined || warmupMs > 3_600_000) {
      problems.push(`--warmup must be a duration up to 1h (e.g. 5s, or 0), got "${values.warmup}"`);
    }
    const targets = targetsFlag(values.target, problems);
    const { credentials, problems: credentialProblems } = loadCredentials(values);
    problems.push(...credentialProblems);
    if (targets === undefined && (values["admin-token"] ?? values["admin-token-file"]) !== undefined) {
      problems.push("--admin-token is for --target (a local stack makes its own)");
    }
    if (targets !== undefined && credentials.adminToken === null) {
      problems.push(
        "--target needs --admin-token or --admin-token-file (calibrate reads the servers' own timings)",
      );
    }
    if (problems.length > 0) throw new UsageError(problems.join("\n  "));

    const scenario = await scenarioArgument(positionals[0] ?? "promo-peak");
    const tty = process.stdout.isTTY === true;
    const bar = tty
      ? new cliProgress.SingleBar(
          {
            format: "calibrate {bar} {percentage}% | {label} | ETA {eta_formatted}",
            hideCursor: true,
            fps: 5,
          },
          cliProgress.Presets.shades_classic,
        )
      : null;
    bar?.start(1, 0, { label: "starting" });
    let profile: Awaited<ReturnType<typeof calibrate>>;
    try {
      profile = await calibrate({
        scenario,
        rates,
        stepMs: stepMs as number,
        warmupMs: warmupMs as number,
        store,
        ...(targets !== undefined ? { targets, adminToken: credentials.adminToken } : {}),
        command: ["rushhour", "calibrate", ...argv],
        onProgress: bar ? (done, total, label) => bar.update(done / total, { label }) : undefined,
        log: (line) => {
          if (!tty && process.stderr.isTTY) process.stderr.write(`rushhour calibrate: ${line}\n`);
        },
      });
    } catch (err) {
      if (err instanceof CalibrateError) throw new UsageError(err.message, { cause: err });
      throw err;
    } finally {
      bar?.stop();
    }
    const out = resolve(values.out as string);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(profile, null, 2)}\n`);
    const c = profile.cpu;
    const perOrder = Object.values(c.stageMs)
      .slice(0, 4)
      .reduce((a, b) => a + b, 0);
    process.stdout.write(
      `server CPU ${perOrder.toFixed(3)} ms/order (fit RMS residual ${c.rmsResidualMs.toFixed(3)} ms)` +
        (c.colocated
          ? `, driver ${c.colocated.driverMsPerOrder.toFixed(3)} ms/order, farm ${c.colocated.farmMsPerOrder.toFixed(3)} ms/order`
          : "") +
        `\nwaiting: ${c.waitPerSecond.toFixed(3)} ms/s per queued order (${c.waitFit?.queuedWindows ?? 0} of ${c.waitFit?.windows ?? 0} windows held a queue)` +
        coreWaitLine(c.steps) +
        loopTurnsLine(c) +
        `\nstore claim ${profile.store.claimMs.toFixed(2)} ms, deliver ${profile.store.deliverMs.toFixed(2)} ms; ` +
        `providers ${Object.keys(profile.providers).join(", ") || "none seen"}; hop ${profile.hopMs.toFixed(2)} ms\n` +
        `wrote ${out}\n`,
    );
    return EXIT.ok;
  },
};

/** What a turn of the server's event loop costs and what an order costs beyond its turns, or why it is not known. */
function loopTurnsLine(c: CalibrationProfile["cpu"]): string {
  const t = c.loopTurns;
  if (t === undefined) {
    const counted = c.steps.every((s) => s.loopTurnsPerSecond !== undefined);
    return counted
      ? "\nloop turns: counted, but the steps did not separate a turn's cost from an order's (the simulator charges each step's busy time per order)"
      : "\nloop turns: not counted by this server (the simulator charges each step's busy time per order)";
  }
  return (
    `\nloop turns: ${t.turnMs.toFixed(3)} ms a turn, ${t.orderMs.toFixed(3)} ms an order beyond its turns ` +
    `(fit RMS residual ${t.rmsResidualMs.toFixed(3)} ms); ${t.turnsPerOrder.toFixed(1)} turns an order at the lowest rate, ` +
    `the simulator's ${t.wakesPerOrder.toFixed(1)} wakes ${t.wakeMs.toFixed(3)} ms each`
  );
}

/**
 * The server's event loop at each step, when measured: its thread's CPU and its wait for a CPU core, per
 * second. A loop that waits a tenth of a second each second for a core is on a machine short of cores, and
 * every live figure includes that; the two together near 1,000 ms a second, the loop is saturated even where
 * its utilisation reads less.
 */
function coreWaitLine(steps: CalibrationProfile["cpu"]["steps"]): string {
  const measured = steps.filter((s) => s.loopWaitMsPerSecond !== undefined);
  if (measured.length === 0) return "";
  const each = measured
    .map((s) => {
      const cpu = s.loopCpuMsPerSecond === undefined ? "" : `ran ${s.loopCpuMsPerSecond.toFixed(0)}, `;
      const turns = s.loopTurnsPerSecond === undefined ? "" : ` (${s.loopTurnsPerSecond.toFixed(0)} turns)`;
      return `${cpu}waited ${(s.loopWaitMsPerSecond as number).toFixed(0)}${turns} at ${s.rate}/s`;
    })
    .join("; ");
  return `\nthe server's event loop on a CPU core and waiting for one (ms per second): ${each}`;
}
