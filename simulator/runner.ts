// Runs a scenario in simulation: each configuration (baseline, candidate) x R replications, with
// replication r using the same seed for every configuration (common random numbers), and assembles
// one RunResult per configuration: the first replication's series and events, histograms and counters
// merged over replications, summary CIs across replications, thresholds judged on the merged data.
import { faultEvent, runResult, summarize } from "../results/assemble.ts";
import { LatencyHistogram } from "../results/histogram.ts";
import { judgeObserved } from "../results/judge.ts";
import type { RunCounters, RunEvent, RunResult } from "../results/run-result.ts";
import { armInputs } from "../scenarios/arms.ts";
import type { Scenario } from "../scenarios/define.ts";
import { businessBlock, perDayBasis } from "../scenarios/objective.ts";
import type { DispatchConfig } from "../server/core/config.ts";
import { hashString } from "../server/core/random.ts";
import { totalDuration } from "../traffic/profile.ts";
import { type ReplicationOutput, runReplication } from "./replication.ts";

export interface SimArm {
  /** Preset name or config path as given. */
  name: string;
  role: "baseline" | "candidate" | "single";
  config: DispatchConfig;
}

export interface SimulateOptions {
  arms: SimArm[];
  replications: number;
  /** Base seed (default: the scenario's). */
  seed?: number;
  /** The exact command line, recorded in the result. */
  command?: string[];
  /** Progress: simulated ms done over all arms and replications, and the total. */
  onProgress?: (doneMs: number, totalMs: number, label: string) => void;
}

/** The seed of replication r: the base seed itself for r = 0, then a hash (same for every configuration). */
export function replicationSeed(base: number, r: number): number {
  return r === 0 ? base : hashString(`replication:${r}`, base >>> 0) | 0;
}

export function simulate(scenario: Scenario, options: SimulateOptions): RunResult[] {
  const base = options.seed ?? scenario.seed;
  const R = options.replications;
  const seeds = Array.from({ length: R }, (_, r) => replicationSeed(base, r));
  const spans = options.arms.map((arm) => {
    const { traffic } = armInputs(scenario, arm.role);
    return totalDuration(traffic) + scenario.drain;
  });
  const totalMs = spans.reduce((a, b) => a + b, 0) * R;
  let doneBefore = 0;
  const results: RunResult[] = [];
  options.arms.forEach((arm, armIndex) => {
    const started = new Date();
    const t0 = performance.now();
    const { traffic, cluster } = armInputs(scenario, arm.role);
    const outputs: ReplicationOutput[] = [];
    for (let r = 0; r < R; r++) {
      const label = `${arm.name} ${r + 1}/${R}`;
      outputs.push(
        runReplication({
          scenario,
          traffic,
          cluster,
          config: arm.config,
          seed: seeds[r]!,
          detailed: r === 0,
          onProgress: options.onProgress
            ? (done) => options.onProgress!(doneBefore + done, totalMs, label)
            : undefined,
        }),
      );
      doneBefore += spans[armIndex]!;
    }
    const finished = new Date();
    results.push(
      assemble(scenario, arm, seeds, base, outputs, options.command ?? [], {
        startedAt: started.toISOString(),
        finishedAt: finished.toISOString(),
        wallSeconds: Math.round(performance.now() - t0) / 1000,
      }),
    );
  });
  return results;
}

function sumCounters(list: RunCounters[]): RunCounters {
  const out: RunCounters = {
    submitted: 0,
    delivered: 0,
    failed: 0,
    rejected: 0,
    retried: 0,
    dropped: 0,
    duplicateCards: 0,
    cacheHits: 0,
    routeSwitches: 0,
    timeouts: 0,
    unfinished: 0,
  };
  // Every key any replication has: the business-row counters (results/business.ts) are optional.
  for (const c of list) {
    for (const key of Object.keys(c) as (keyof RunCounters)[]) out[key] = (out[key] ?? 0) + (c[key] ?? 0);
  }
  // The risk stage's counts, only in runs that have one (others stay byte-identical).
  for (const key of ["denied", "review", "riskMs", "notifyMs"] as const) {
    if (list.some((c) => c[key] !== undefined)) out[key] = list.reduce((n, c) => n + (c[key] ?? 0), 0);
  }
  return out;
}

function mergeMaps(
  outputs: ReplicationOutput[],
  pick: (o: ReplicationOutput) => Map<string, LatencyHistogram>,
) {
  const merged = new Map<string, LatencyHistogram>();
  for (const o of outputs) {
    for (const [key, h] of pick(o)) {
      let m = merged.get(key);
      if (m === undefined) {
        m = LatencyHistogram.create();
        merged.set(key, m);
      }
      m.merge(h);
    }
  }
  const out: Record<string, string> = {};
  for (const key of [...merged.keys()].sort()) out[key] = merged.get(key)!.encode();
  return { encoded: out, merged };
}

export function assemble(
  scenario: Scenario,
  arm: SimArm,
  seeds: number[],
  base: number,
  outputs: ReplicationOutput[],
  command: string[],
  provenance: RunResult["provenance"],
): RunResult {
  const first = outputs[0]!;
  const overall = LatencyHistogram.create();
  for (const o of outputs) overall.merge(o.overall);
  const lanes = mergeMaps(outputs, (o) => o.byLane);
  const cohorts = mergeMaps(outputs, (o) => o.byCohort);
  const counters = sumCounters(outputs.map((o) => o.counters));
  const summary = summarize(outputs.map((o) => o.summary));
  const events: RunEvent[] = [...scenario.faults.map((f) => faultEvent(f)), ...first.events].sort(
    (a, b) => a.t - b.t,
  );
  const thresholds = judgeObserved(scenario.thresholds, {
    overall,
    cohorts: cohorts.merged,
    counters,
    points: outputs.map((o) => o.summary),
  });
  return runResult({
    kind: "sim",
    scenario: { name: scenario.name, description: scenario.description, definition: scenario.definition },
    config: { name: arm.name, role: arm.role, definition: arm.config },
    seeds: { base, replications: seeds },
    replications: outputs.length,
    windowSeconds: scenario.window / 1000,
    durationSeconds: first.durationMs / 1000,
    seriesReplication: 0,
    command,
    provenance,
    series: first.windows,
    histograms: { overall: overall.encode(), byLane: lanes.encoded, byCohort: cohorts.encoded },
    counters,
    summary,
    perReplication: outputs.map((o, r) => ({
      replication: r,
      seed: seeds[r]!,
      summary: o.summary,
      counters: o.counters,
      histogram: o.overall.encode(),
    })),
    events,
    thresholds,
    ...(scenario.calibration !== undefined ? { calibration: scenario.calibration } : {}),
    business: businessBlock(scenario, perDayBasis(scenario, armInputs(scenario, arm.role).traffic)),
  });
}
