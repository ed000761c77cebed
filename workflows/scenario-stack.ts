// The live server a scenario describes: the configuration sized as the simulator sizes the scenario's
// cluster (simulator/replication.ts: `cluster.primary.workers` worker slots, split across instances), and
// a local stack whose provider farm serves the scenario's providers and its risk and notification
// services. Every live path that compares itself with the simulator starts or configures its servers
// here (load, twin, calibrate, capacity, profile), so "the same scenario, simulated and live" is the
// same system on both sides.
import { Admin } from "../load/admin.ts";
import { type LocalStack, startLocalStack } from "../load/local-stack.ts";
import {
  type FarmProvider,
  type FarmServices,
  farmProviders,
  farmServices,
} from "../load/provider-models.ts";
import { liveServices, type Scenario } from "../scenarios/define.ts";
import { loadDemandHistory } from "../scenarios/demand.ts";
import { type DispatchConfig, withWorkers } from "../server/core/config.ts";

/** How long a warmed-up server may take to finish the warm-up's orders before the measured run starts anyway. */
const IDLE_TIMEOUT_MS = 60_000;

/**
 * Waits until the server at `target` holds no order, so a measured run after a warm-up starts on an idle
 * server: a run's drain ends on the client's side, and orders still queued at the server go on being
 * served (at 1,155/s a warm-up left 2 s of them). Gives up after IDLE_TIMEOUT_MS with a line in the log.
 */
export async function waitForIdleStack(
  target: string,
  adminToken: string,
  log: (line: string) => void,
  /** What left the orders, for the log: "the warm-up" (default) or "the live run before". */
  after = "the warm-up",
): Promise<void> {
  const admin = new Admin(target, adminToken);
  try {
    const started = Date.now();
    if (await admin.waitUntilIdle(IDLE_TIMEOUT_MS)) {
      const ms = Date.now() - started;
      if (ms >= 1000) log(`${after}'s last orders took ${(ms / 1000).toFixed(1)} s more to finish`);
    } else log(`the server still held orders ${IDLE_TIMEOUT_MS / 1000} s after ${after}; measuring anyway`);
  } finally {
    admin.close();
  }
}

/** The configuration one of `instances` primary servers runs: its share of the cluster's worker slots. */
export function sizedPrimaryConfig(
  scenario: Scenario,
  config: DispatchConfig,
  instances = 1,
): DispatchConfig {
  return withWorkers(config, Math.ceil(scenario.cluster.primary.workers / Math.max(1, instances)));
}

/** The configuration the backup server runs: the backup cluster's worker slots. */
export function sizedBackupConfig(scenario: Scenario, config: DispatchConfig): DispatchConfig {
  return withWorkers(config, scenario.cluster.backup.workers);
}

export interface ScenarioStackOptions {
  /** The server's store URL (default: a fresh SQLite file in the stack's temp folder). */
  store?: string;
  /**
   * Whether a backup server stands behind the primary (default: the scenario's cluster.backupDeployed,
   * so the live stack is the deployment the simulator models). Calibrate measures one server: false.
   */
  backup?: boolean;
  log?: (line: string) => void;
}

/**
 * The provider farm every live run of the scenario starts (local stack, topology, profile): its providers
 * and services as written, never a calibration profile's measurements of them (liveServices).
 */
export function scenarioFarm(scenario: Scenario): { providers: FarmProvider[]; services: FarmServices } {
  const deployed = liveServices(scenario);
  return { providers: farmProviders(deployed.providers), services: farmServices(deployed) };
}

/**
 * The demand history the scenario's live servers forecast from (`serve --demand-history`), or undefined:
 * the scenario has none. The simulator hands each replication's dispatchers the same history
 * (simulator/replication.ts), so without it the live server never prewarmed: promo-peak at 429/s served
 * 11% of its orders from the prewarmed cache simulated and none live.
 */
export function scenarioDemandHistory(scenario: Scenario): number[] | undefined {
  return scenario.demandHistory === undefined
    ? undefined
    : loadDemandHistory(scenario.demandHistory, scenario.seed, scenario.file);
}

/**
 * A provider farm with the scenario's providers and services, `rushhour serve` sized for the scenario, and
 * behind it a backup server sized as the scenario's backup cluster when the deployment has one: the
 * simulated primary overflows to its backup above the overflow threshold, so a live primary without one
 * is another system (promo-peak at 1,000/s: the simulated backlog cleared through the backup while the
 * live one grew all run).
 */
export function startScenarioStack(
  scenario: Scenario,
  config: DispatchConfig,
  o: ScenarioStackOptions = {},
): Promise<LocalStack> {
  const backup = o.backup ?? scenario.cluster.backupDeployed;
  return startLocalStack({
    ...scenarioFarm(scenario),
    config: sizedPrimaryConfig(scenario, config),
    ...(backup ? { backupConfig: sizedBackupConfig(scenario, config) } : {}),
    skuCount: scenario.skus.count,
    seed: scenario.seed,
    demandHistory: scenarioDemandHistory(scenario),
    ...(o.store !== undefined ? { store: o.store } : {}),
    ...(o.log !== undefined ? { log: o.log } : {}),
  });
}
