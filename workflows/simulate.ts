// Running a scenario in simulation, as a function: resolve its arms, check the simulator can drive its
// traffic, run R replications per arm (on worker threads when jobs > 1; the results are the same) and
// return one RunResult per arm. `rushhour sim`, the suite and the demo call it.
import type { RunResult } from "../results/run-result.ts";
import type { Scenario } from "../scenarios/define.ts";
import {
  checkRunSize,
  DEFAULT_MAX_MEMORY_MB,
  DEFAULT_MAX_ORDERS,
  type RunLimits,
  runSize,
} from "../simulator/limits.ts";
import { simulateParallel } from "../simulator/parallel.ts";
import { isArrivalRate } from "../traffic/profile.ts";
import { type ExecutionSegment, formatSegment } from "../traffic/segment.ts";
import { resolveArms } from "./arms.ts";

export class SimScenarioError extends Error {
  override name = "SimScenarioError";
}

export interface SimRunOptions {
  /** Run only this configuration (default: the scenario's `roles`). */
  config?: string;
  /** Which of the scenario's configurations to run (default both, baseline first). */
  roles?: readonly ("baseline" | "candidate")[];
  replications: number;
  /** Base seed (default: the scenario's). */
  seed?: number;
  /** Worker threads (default 1: this thread). */
  jobs?: number;
  /** The command line recorded in each RunResult. */
  command: string[];
  onProgress?: (doneMs: number, totalMs: number, label: string) => void;
  /** Refuse a run expected to need more orders or memory than this (default: simulator/limits.ts). */
  limits?: RunLimits;
  /** Run only this shard's replications (sim --shard i/n); each RunResult is then a partial one. */
  shard?: ExecutionSegment;
}

/**
 * Throws ConfigError (simulator/configs.ts) for an unknown configuration, SimScenarioError for VU traffic
 * or a run larger than the limits (the message says the expected orders and memory).
 */
export async function runSimulated(scenario: Scenario, o: SimRunOptions): Promise<RunResult[]> {
  if (!isArrivalRate(scenario.traffic) && scenario.traffic.executor !== "replay") {
    throw new SimScenarioError(
      `traffic.executor: the simulator runs arrival-rate executors and replays (open model), not "${scenario.traffic.executor}"`,
    );
  }
  const arms = resolveArms(scenario, o.config, o.roles).map(({ name, role, config }) => ({
    name,
    role,
    config,
  }));
  const tooBig = checkRunSize(
    runSize(
      scenario,
      arms.map((a) => a.role),
      o.replications,
    ),
    o.limits ?? { maxOrders: DEFAULT_MAX_ORDERS, maxMemoryMb: DEFAULT_MAX_MEMORY_MB },
  );
  if (tooBig !== undefined) throw new SimScenarioError(tooBig);
  if (o.shard !== undefined && o.shard.count > o.replications) {
    throw new SimScenarioError(
      `--shard ${formatSegment(o.shard)}: ${o.shard.count} shards of ${o.replications} replications leave some shards nothing to run; use at most ${o.replications} shards or more --replications`,
    );
  }
  return simulateParallel(scenario, {
    arms,
    replications: o.replications,
    jobs: o.jobs ?? 1,
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    command: o.command,
    ...(o.shard !== undefined ? { shard: o.shard } : {}),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
  });
}
