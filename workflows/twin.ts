// `rushhour twin` as a function: the same scenario simulated (N replications, with the scenario's
// calibration profile) and live (one run, a local stack or targets), compared metric by metric against
// tolerances (reports/twin.ts); optionally the saturation knee, found by the simulated capacity search
// (workflows/capacity.ts) and checked live with a few short steps around it.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  compareIsolation,
  compareTwin,
  type Tolerances,
  type TwinKnee,
  type TwinReport,
  twinCharts,
  twinHtml,
  twinMarkdown,
} from "../reports/twin.ts";
import { compareStages } from "../reports/twin-stages.ts";
import { type RunResult, writeRunResult } from "../results/run-result.ts";
import { armInputs } from "../scenarios/arms.ts";
import { type Scenario, withBackupDeployed } from "../scenarios/define.ts";
import { liveOptions } from "../scenarios/live.ts";
import { totalDuration } from "../traffic/profile.ts";
import { type Arm, resolveArm } from "./arms.ts";
import { confirmLive, type Objective, simulatedCapacity } from "./capacity.ts";
import { ranWithBackup, runLive } from "./live.ts";
import { waitForIdleStack } from "./scenario-stack.ts";
import { runSimulated } from "./simulate.ts";
import type { LiveRunner } from "./suite.ts";

export interface TwinOptions {
  /** Run only this configuration (role "single"); default the scenario's candidate. */
  config?: string;
  replications: number;
  tolerances: Tolerances;
  seed?: number;
  jobs?: number;
  command: string[];
  /** How to run the scenario live (default: the live workflow on a local stack, or `targets`). */
  live?: LiveRunner;
  /** A live RunResult of this scenario recorded before (twin --against): compared instead of a new live run. */
  liveResult?: RunResult;
  /**
   * Live runs to compare against (default 1): the error is against their mean, and the report shows their
   * interval. Against `targets` with an admin token, each run after the first waits until the servers hold
   * no order (the run before's stragglers would slow its start).
   */
  liveRuns?: number;
  targets?: string[];
  adminToken?: string | null;
  /** The local stack's unmeasured warm-up before each live run (workflows/live.ts); default 0. */
  warmupMs?: number;
  /**
   * Whether a backup server stands behind the live primary. Default: the scenario's (cluster.backupDeployed)
   * for a local stack, which then starts one or not, and for `targets` and a given live runner; a topology's
   * own (live.topology.backup); for a recorded run (--against), whether its RunResult lists a backup. Both
   * sides run that deployment: without a backup neither overflows.
   */
  liveBackup?: boolean;
  /** Also find the knee against this objective (simulated search, then live steps of `kneeStepS`). */
  knee?: { objective: Objective; stepS: number; maxProbes?: number };
  onProgress?: (label: string) => void;
  log?: (line: string) => void;
}

export class TwinInputError extends Error {
  override name = "TwinInputError";
}

export interface TwinOutcome {
  report: TwinReport;
  simulated: RunResult;
  /** The first live run (the charts, stages and isolation times are its). */
  live: RunResult;
  /** Every live run, the first included. */
  liveRuns: RunResult[];
  pass: boolean;
}

/** The one arm both sides run: --config as "single", else the scenario's candidate. */
function twinArm(scenario: Scenario, config?: string): Arm {
  return resolveArm(scenario, config);
}

/** Whether the live side has a backup behind its primary, unless the caller says (TwinOptions.liveBackup). */
function liveHasBackup(scenario: Scenario, o: TwinOptions): boolean {
  if (o.liveResult !== undefined) return ranWithBackup(o.liveResult);
  const topology = liveOptions(scenario.live).topology;
  if (o.targets === undefined && o.live === undefined && topology !== undefined)
    return topology.backup !== false;
  return scenario.cluster.backupDeployed;
}

/** Live runs at duration scale 1: the simulated side runs the scenario as written, so the live one must too. */
function defaultLive(scenario: Scenario, arm: Arm, o: TwinOptions): LiveRunner {
  return async (s) => {
    const { results } = await runLive(s, {
      arm,
      durationScale: 1,
      // A topology (live.topology) starts its own instances and has no single local stack to warm.
      ...(o.targets !== undefined
        ? { targets: o.targets, adminToken: o.adminToken ?? null }
        : { warmupMs: liveOptions(scenario.live).topology === undefined ? (o.warmupMs ?? 0) : 0 }),
      command: o.command,
      ...(o.log ? { log: o.log } : {}),
    });
    if (results.length === 0) throw new Error(`the live run of ${scenario.name} produced no result`);
    return results;
  };
}

export async function runTwin(scenario: Scenario, o: TwinOptions): Promise<TwinOutcome> {
  // Checked before the simulated side runs, which a bad request should not cost.
  const runs = o.liveRuns ?? 1;
  if (!Number.isInteger(runs) || runs < 1)
    throw new TwinInputError(`live runs must be a whole number >= 1, got ${runs}`);
  if (o.liveResult !== undefined && runs > 1) {
    throw new TwinInputError("--against is one recorded live run: it cannot go with more than one live run");
  }
  const arm = twinArm(scenario, o.config);
  const live = o.live ?? defaultLive(scenario, arm, o);
  const backup = o.liveBackup ?? liveHasBackup(scenario, o);
  // Both sides run one deployment: without a backup nothing overflows, and a simulated backup took the
  // primary's excess past saturation (promo-peak at 1,000/s, memory profile: overflow on for 5 windows and
  // the primary's CPU down to 20%, while a live primary with no backup saw its backlog grow all run). A
  // local stack starts a backup exactly when the scenario it is given deploys one.
  const deployed = withBackupDeployed(scenario, backup);
  o.onProgress?.(`simulating ${o.replications} replication${o.replications === 1 ? "" : "s"}`);
  const [simulated] = await runSimulated(deployed, {
    ...(o.config !== undefined ? { config: o.config } : { roles: ["candidate"] }),
    replications: o.replications,
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    jobs: o.jobs ?? 1,
    command: o.command,
  });
  const lives: RunResult[] = [];
  if (o.liveResult === undefined) {
    for (let k = 0; k < runs; k++) {
      if (k > 0 && o.targets !== undefined && o.adminToken) {
        for (const t of o.targets)
          await waitForIdleStack(t, o.adminToken, o.log ?? (() => {}), "the live run before");
      }
      o.onProgress?.(runs === 1 ? "running live" : `running live (${k + 1} of ${runs})`);
      const [r] = await live(deployed);
      lives.push(r!);
    }
  } else if (o.liveResult.kind !== "load" || o.liveResult.scenario.name !== scenario.name) {
    throw new TwinInputError(
      `--against: expected a live RunResult (kind "load") of ${scenario.name}, got a ${o.liveResult.kind} run of ${o.liveResult.scenario.name}`,
    );
  } else lives.push(o.liveResult);
  const liveResult = lives[0]!;
  const trafficSeconds = totalDuration(armInputs(scenario, arm.role).traffic) / 1000;
  const rows = compareTwin(simulated!, lives, o.tolerances, trafficSeconds);
  const isolation = compareIsolation(simulated!, liveResult, o.tolerances.isolation);
  const report: TwinReport = {
    scenario: scenario.name,
    config: arm.name,
    replications: o.replications,
    calibration: scenario.calibration?.path ?? null,
    backup,
    rows,
    isolation,
    stages: compareStages(simulated!, liveResult),
  };
  if (o.knee !== undefined) report.knee = await findKnee(deployed, arm, o, live);
  return {
    report,
    simulated: simulated!,
    live: liveResult,
    liveRuns: lives,
    pass: rows.every((r) => r.pass) && isolation.every((i) => i.pass),
  };
}

/**
 * The highest steady rate that meets the objective (P99, error rate, a backlog that holds): bisection in
 * simulation, then live steps at the simulated knee and 15% either side (the acceptance's bound), each
 * `stepS` long.
 */
async function findKnee(scenario: Scenario, arm: Arm, o: TwinOptions, live: LiveRunner): Promise<TwinKnee> {
  const k = o.knee!;
  o.onProgress?.("simulated knee search");
  const search = await simulatedCapacity(scenario, {
    configName: arm.name,
    config: arm.config,
    objective: k.objective,
    durationMs: k.stepS * 1000,
    replications: Math.min(o.replications, 3),
    tolerance: 0.02,
    maxProbes: k.maxProbes ?? 14,
  });
  const simulatedRate = search.best;
  const steps: TwinKnee["live"] = [];
  if (simulatedRate > 0) {
    for (const rate of [simulatedRate * 0.85, simulatedRate, simulatedRate * 1.15]) {
      o.onProgress?.(`live step ${Math.round(rate)}/s`);
      const c = await confirmLive(scenario, rate, k.stepS, k.objective, live);
      steps.push({
        rate: c.rate,
        p99Ms: c.p99Ms,
        errorRate: c.errorRate,
        backlogGrowth: c.backlogGrowth,
        ok: c.ok,
      });
    }
  }
  const liveRate = Math.max(0, ...steps.filter((s) => s.ok).map((s) => s.rate));
  return {
    objectiveP99Ms: k.objective.p99Ms,
    simulatedRate,
    live: steps,
    liveRate,
    error: liveRate > 0 ? (simulatedRate - liveRate) / liveRate : null,
  };
}

/** Writes twin.md, twin.html, twin.json and the chart SVGs into `outDir`; returns the written files. */
export function writeTwinReport(t: TwinOutcome, outDir: string): string[] {
  mkdirSync(join(outDir, "charts"), { recursive: true });
  const charts = twinCharts(t.simulated, t.live);
  const files: string[] = [];
  const write = (name: string, text: string) => {
    const f = join(outDir, name);
    writeFileSync(f, text);
    files.push(f);
  };
  for (const c of charts) write(join("charts", `${c.id}.svg`), c.svg);
  write("twin.md", twinMarkdown(t.report));
  write("twin.html", twinHtml(t.report, charts));
  write("twin.json", `${JSON.stringify({ ...t.report, pass: t.pass }, null, 2)}\n`);
  // live.json is the first live run (the one the charts show); live-2.json... the others.
  for (const [name, r] of [
    ["simulated.json", t.simulated],
    ...t.liveRuns.map((run, k) => [k === 0 ? "live.json" : `live-${k + 1}.json`, run] as const),
  ] as const) {
    writeRunResult(join(outDir, name), r);
    files.push(join(outDir, name));
  }
  return files;
}
