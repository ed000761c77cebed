// Runs replications sent by simulateParallel (parallel.ts) and sends back their outputs with the
// histograms encoded (they cross the thread boundary as strings; decoding is lossless).
import { parentPort } from "node:worker_threads";
import { armInputs } from "../scenarios/arms.ts";
import { type Scenario, validateScenario } from "../scenarios/define.ts";
import type { DispatchConfig } from "../server/core/config.ts";
import { runReplication } from "./replication.ts";
import type { SimArm } from "./runner.ts";

export interface ReplicationTask {
  id: number;
  definition: unknown;
  file: string | null;
  role: SimArm["role"];
  config: DispatchConfig;
  seed: number;
  detailed: boolean;
}

const scenarios = new Map<string, Scenario>();

parentPort!.on("message", (task: ReplicationTask) => {
  const key = `${task.file}\n${JSON.stringify(task.definition)}`;
  let scenario = scenarios.get(key);
  if (scenario === undefined) {
    scenario = validateScenario(task.definition, task.file);
    scenarios.set(key, scenario);
  }
  const { traffic, cluster } = armInputs(scenario, task.role);
  const out = runReplication({
    scenario,
    traffic,
    cluster,
    config: task.config,
    seed: task.seed,
    detailed: task.detailed,
    onProgress: (done) => parentPort!.postMessage({ id: task.id, progress: done }),
  });
  const encode = (m: Map<string, { encode(): string }>) => [...m].map(([k, h]) => [k, h.encode()] as const);
  parentPort!.postMessage({
    id: task.id,
    output: {
      windows: out.windows,
      events: out.events,
      counters: out.counters,
      summary: out.summary,
      durationMs: out.durationMs,
      eventsExecuted: out.eventsExecuted,
      cardsHeld: out.cardsHeld,
      overall: out.overall.encode(),
      byLane: encode(out.byLane),
      byCohort: encode(out.byCohort),
      byStage: encode(out.byStage),
    },
  });
});
