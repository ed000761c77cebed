// Running a scenario live, as a function: each arm (baseline then candidate, or one configuration) against
// a topology (several instances on PostgreSQL, with chaos and a store audit), a local stack (a provider farm
// and one `rushhour serve` on 127.0.0.1) or running servers (targets). `rushhour load`, the suite, capacity
// and the demo call it in-process.

import { Admin } from "../load/admin.ts";
import { type AuditOptions, auditStore } from "../load/audit.ts";
import { type ChaosRun, scheduleChaos } from "../load/chaos.ts";
import type { LocalStack } from "../load/local-stack.ts";
import { armRecordPath } from "../load/record.ts";
import {
  executorFor,
  type LoadOutcome,
  type LoadProgress,
  type RunLoadOptions,
  runLoad,
} from "../load/run-load.ts";
import { startTopology } from "../load/topology.ts";
import type { ClientTls } from "../load/unary-channel.ts";
import type { RunResult } from "../results/run-result.ts";
import type { Scenario } from "../scenarios/define.ts";
import { type ChaosStep, liveOptions, type TopologySpec, validateLive } from "../scenarios/live.ts";
import type { DispatchConfig } from "../server/core/config.ts";
import { redactStoreUrl } from "../server/store/redact-url.ts";
import { validateExecutor } from "../traffic/executors/index.ts";
import { peakRate } from "../traffic/profile.ts";
import type { ExecutionSegment } from "../traffic/segment.ts";
import { type Arm, resolveArms } from "./arms.ts";
import {
  scenarioDemandHistory,
  scenarioFarm,
  sizedBackupConfig,
  sizedPrimaryConfig,
  startScenarioStack,
  waitForIdleStack,
} from "./scenario-stack.ts";
import { steadyScenario } from "./steady.ts";

export class LiveScenarioError extends Error {
  override name = "LiveScenarioError";
  constructor(
    message: string,
    readonly problems: string[],
  ) {
    super(message);
  }
}

export interface LiveRunOptions {
  /** Run only this configuration (default: the scenario's baseline then candidate). */
  config?: string;
  /** Run exactly this resolved arm (overrides `config`). */
  arm?: Arm;
  /** HOST:PORT of running servers; absent: start a topology (live.topology) or a local stack. */
  targets?: string[];
  /** With `targets`: servers sampled beside them but sent no orders (a backup behind them; load/run-load.ts). */
  observed?: string[];
  /** Admin token of the `targets` (a stack this starts makes its own). */
  adminToken?: string | null;
  /** TLS to the `targets` (serve --tls-cert): their CA, and our certificate if they ask for one. */
  tls?: ClientTls | null;
  /** Client token for the `targets`' DispatchService (serve --client-tokens). */
  clientToken?: string | null;
  /** Multiplies every duration (default: the scenario's live.durationScale, else 1). */
  durationScale?: number;
  /** Driver worker threads (default: live.workers, else from the peak rate). */
  workers?: number;
  /** The command line recorded in each RunResult. */
  command: string[];
  /** Run one execution segment of the schedule against `targets` (load --segment); see RunLoadOptions. */
  segment?: ExecutionSegment;
  /** The start instant every shard shares (epoch ms, load --start-at). */
  startAtEpochMs?: number;
  onProgress?: (label: string, p: LoadProgress) => void;
  /** Called with each arm's RunResult as soon as it is done (before the next arm starts). */
  onResult?: (r: RunResult) => void;
  /** Write each arm's sent orders to this order log (load/record.ts; per arm when several run). */
  record?: string;
  /**
   * A local stack this starts is first run unmeasured for this long at half the scenario's peak rate (no
   * faults): a fresh server compiles its hot paths during its first seconds, and a run that starts cold
   * reads them as latency (here P99 near 1 s for the first 4 s at 600/s, against 300 ms warm). Default 0.
   */
  warmupMs?: number;
  /** load --trace: a traceparent on every order, the slowest orders' trace ids in the RunResult. */
  trace?: boolean;
  log?: (line: string) => void;
  warn?: (line: string) => void;
}

export interface LiveRun {
  results: RunResult[];
  /** "<config> (<role>): <why>" for a run that abortOnFail stopped (no arm runs after it). */
  aborts: string[];
}

/** The scenario's live problems (its live block, each arm's executor), as "path: message". */
export function liveProblems(scenario: Scenario, arms: readonly Arm[], durationScale: number): string[] {
  const problems = validateLive(scenario.live);
  for (const arm of arms) {
    const executor = executorFor(scenario, arm.role, durationScale);
    problems.push(
      ...validateExecutor(executor, arm.role === "single" ? "traffic." : `traffic (${arm.role}).`),
    );
  }
  return problems;
}

/** Runs the scenario live; throws ConfigError for an unknown configuration, LiveScenarioError for a bad live block. */
export async function runLive(input: Scenario, o: LiveRunOptions): Promise<LiveRun> {
  let scenario = input;
  const log = o.log ?? (() => {});
  const warn = o.warn ?? log;
  const live = liveOptions(scenario.live);
  const durationScale = o.durationScale ?? live.durationScale ?? 1;
  const arms = o.arm !== undefined ? [o.arm] : resolveArms(scenario, o.config);
  const problems = liveProblems(scenario, arms, durationScale);
  if (o.segment !== undefined && o.targets === undefined) {
    problems.push("a segment (sharded load) drives running servers: give their addresses (--target)");
  }
  if (o.segment !== undefined && arms.length > 1) {
    problems.push(
      "a segment (sharded load) runs one configuration, the same in every shard: name it (--config)",
    );
  }
  if ((o.warmupMs ?? 0) > 0 && (o.targets !== undefined || liveOptions(scenario.live).topology)) {
    problems.push("a warm-up runs on the local stack this starts: not with targets or live.topology");
  }
  if (problems.length > 0) {
    throw new LiveScenarioError(
      `${scenario.file ?? scenario.name} cannot be run live:\n  ${problems.join("\n  ")}`,
      problems,
    );
  }
  if (o.workers !== undefined)
    scenario = { ...scenario, live: { ...(scenario.live ?? {}), workers: o.workers } };
  const results: RunResult[] = [];
  const aborts: string[] = [];
  for (const arm of arms) {
    const label = `${arm.name} (${arm.role})`;
    const common = {
      scenario,
      durationScale,
      command: o.command,
      ...(o.segment !== undefined ? { segment: o.segment } : {}),
      ...(o.startAtEpochMs !== undefined ? { startAtEpochMs: o.startAtEpochMs } : {}),
      ...(o.onProgress ? { onProgress: (p: LoadProgress) => o.onProgress?.(label, p) } : {}),
      ...(o.record === undefined ? {} : { record: armRecordPath(o.record, arm.name, arms.length) }),
      ...(o.trace === true ? { trace: true } : {}),
      log,
      warn,
    };
    const { result, aborted } = await runArm(scenario, arm, common, o, log, warn);
    o.onResult?.(result);
    results.push(result);
    if (aborted !== null) {
      aborts.push(`${label}: ${aborted}`);
      break;
    }
  }
  return { results, aborts };
}

type CommonOptions = Omit<RunLoadOptions, "arm" | "target">;

type Process = { name: string; address: string };

/** The deployment a live run measured, as its RunResult's `topology` lists it (a topology's or a local stack's). */
function deployment(
  primaries: Process[],
  backup: Process | null,
  farm: Process,
  storeUrl: string,
): Process[] {
  return [
    ...[...primaries, ...(backup === null ? [] : [backup]), farm].map((m) => ({
      name: m.name,
      address: m.address,
    })),
    { name: "store", address: redactStoreUrl(storeUrl) },
  ];
}

/** A local stack's processes, named as a topology's are (primary-1, backup, farm). */
function localStackProcesses(stack: LocalStack): Process[] {
  const backup = stack.backup === null ? null : { name: "backup", address: stack.backup };
  return deployment(
    [{ name: "primary-1", address: stack.target }],
    backup,
    { name: "farm", address: stack.farm },
    stack.store,
  );
}

/** Whether the live run had a backup server behind its primary (as its RunResult's topology records). */
export function ranWithBackup(r: RunResult): boolean {
  return r.topology?.some((p) => p.name === "backup") ?? false;
}

async function runArm(
  scenario: Scenario,
  arm: Arm,
  common: CommonOptions,
  o: LiveRunOptions,
  log: (line: string) => void,
  warn: (line: string) => void,
): Promise<LoadOutcome> {
  const topology = liveOptions(scenario.live).topology;
  // A server this starts is sized as the simulator sizes the scenario's cluster, so a live run and a
  // simulated one compare the same system; the RunResult records what the server ran.
  if (o.targets === undefined && topology !== undefined) {
    log(`starting ${topology.instances} instances on PostgreSQL and a provider farm (${arm.name})`);
    // The primary cluster is split across the instances; the backup has its own size.
    const sized = sizedPrimaryConfig(scenario, arm.config, topology.instances);
    return runOnTopology({
      ...common,
      arm: { name: arm.name, role: arm.role, definition: sized },
      spec: topology,
      chaos: liveOptions(scenario.live).chaos ?? [],
      serverConfig: sized,
      backupConfig: sizedBackupConfig(scenario, arm.config),
    });
  }
  if (o.targets === undefined) {
    log(`starting a provider farm and rushhour serve (${arm.name}) on 127.0.0.1`);
    const sized = sizedPrimaryConfig(scenario, arm.config);
    const stack = await startScenarioStack(scenario, arm.config, { log });
    try {
      if ((o.warmupMs ?? 0) > 0) {
        const rate = Math.max(1, Math.round(peakRate(scenario.traffic) / 2));
        log(`warming up the stack: ${(o.warmupMs as number) / 1000} s at ${rate}/s, not measured`);
        await runLoad({
          ...common,
          scenario: steadyScenario(scenario, rate, o.warmupMs as number),
          durationScale: 1,
          arm: { name: arm.name, role: "single", definition: sized },
          target: { addresses: [stack.target], adminToken: stack.adminToken },
          record: undefined,
          onProgress: undefined,
        });
        await waitForIdleStack(stack.target, stack.adminToken, log);
      }
      return await runLoad({
        ...common,
        arm: { name: arm.name, role: arm.role, definition: sized },
        target: {
          addresses: [stack.target],
          adminToken: stack.adminToken,
          observed: stack.backup === null ? [] : [stack.backup],
        },
        // The deployment the run measured, recorded as a topology's is: twin --against reads from it
        // whether a backup stood behind the primary.
        afterTraffic: async () => ({ topology: localStackProcesses(stack) }),
      });
    } finally {
      await stack.stop();
    }
  }
  const adminToken = o.adminToken ?? null;
  // A sharded run's configuration is applied once, by shard 0 (the others would reset its faults).
  const owner = (o.segment?.index ?? 0) === 0;
  // The targets are the primary cluster's instances: each gets its share of the cluster's worker slots,
  // as a topology's instances do, so the run compares with the simulated scenario.
  const sized = sizedPrimaryConfig(scenario, arm.config, o.targets.length);
  if (adminToken !== null && owner) {
    for (const address of o.targets) {
      const admin = new Admin(address, adminToken, undefined, o.tls ?? undefined);
      try {
        await admin.applyConfig({ configJson: JSON.stringify(sized) });
        await admin.clearFaults();
      } finally {
        admin.close();
      }
    }
  } else if (owner) {
    warn("no --admin-token: the servers' configuration is left as it is, and no faults or snapshots");
  }
  if (topology !== undefined) warn("--target given: the scenario's topology and chaos are not used");
  return runLoad({
    ...common,
    // Without the admin token the servers keep their own configuration: record the one asked for.
    arm: { name: arm.name, role: arm.role, definition: adminToken !== null ? sized : arm.config },
    target: {
      addresses: o.targets,
      ...(o.observed !== undefined ? { observed: o.observed } : {}),
      adminToken,
      tls: o.tls ?? null,
      clientToken: o.clientToken ?? null,
    },
  });
}

export interface TopologyRunOptions extends Omit<RunLoadOptions, "target" | "onStart" | "afterTraffic"> {
  spec: TopologySpec;
  chaos: ChaosStep[];
  serverConfig: DispatchConfig;
  backupConfig: DispatchConfig;
  /** Extra `rushhour serve` flags for every instance. */
  serveArgs?: string[];
  audit?: AuditOptions;
}

/**
 * One configuration's run on a fresh topology: start it, run the load with the chaos schedule, bring
 * every process back, audit the store, stop it. The audit and the chaos actions go into the RunResult
 * (built once, after the audit); a failing audit is a failing threshold ("audit"), so the run exits 1.
 */
export async function runOnTopology(o: TopologyRunOptions): Promise<LoadOutcome> {
  const log = o.log ?? (() => {});
  const topology = await startTopology({
    spec: o.spec,
    ...scenarioFarm(o.scenario),
    config: o.serverConfig,
    backupConfig: o.backupConfig,
    skuCount: o.scenario.skus.count,
    seed: o.scenario.seed,
    demandHistory: scenarioDemandHistory(o.scenario),
    serveArgs: o.serveArgs,
    log,
  });
  let chaos: ChaosRun | null = null;
  try {
    return await runLoad({
      ...o,
      target: {
        addresses: topology.targets(),
        adminToken: topology.adminToken,
        observed: topology.backup === null ? [] : [topology.backup.address],
      },
      // The instances stand behind the driver as behind a load balancer: a dead one's orders go to the next.
      failover: true,
      onStart: (sinceStart) => {
        chaos = scheduleChaos(o.chaos, topology, sinceStart, o.durationScale, o.warn ?? log);
      },
      afterTraffic: async () => {
        const run = chaos as ChaosRun | null;
        run?.cancel();
        await run?.settle();
        // Recovery before the audit: whatever is still down (killed without a restart) comes back now.
        const members = [topology.farm, ...(topology.backup ? [topology.backup] : []), ...topology.primaries];
        for (const m of members) {
          if (!m.up) {
            log(`restarting ${m.name} for recovery before the audit`);
            await m.restart();
          }
        }
        const audit = await auditStore(topology.storeUrl, { log, ...o.audit });
        log(
          `audit: ${audit.totalOrders} orders, ${audit.duplicateCards} duplicate cards, ` +
            `${audit.nonTerminalOrders} unfinished, ${audit.failedHoldingCards} failed holding cards` +
            ` (drained in ${audit.drainSeconds.toFixed(1)} s)`,
        );
        return {
          topology: deployment(topology.primaries, topology.backup, topology.farm, topology.storeUrl),
          chaos: run?.actions ?? [],
          events: run?.events() ?? [],
          audit,
        };
      },
    });
  } finally {
    (chaos as ChaosRun | null)?.cancel();
    await topology.stop();
  }
}
