// Runs a scenario in simulation: each configuration (baseline, candidate) x R replications, with
// replication r using the same seed for every configuration (common random numbers), and assembles
// one RunResult per configuration: the first replication's series and events, histograms and counters
// merged over replications, summary CIs across replications, thresholds judged on the merged data.
import { faultEvent, mergeHistogramMaps, runResult, sumCounters, summarize } from "../results/assemble.ts";
import { LatencyHistogram } from "../results/histogram.ts";
import { judgeObserved } from "../results/judge.ts";
import type { RunEvent, RunResult } from "../results/run-result.ts";
import { armInputs } from "../scenarios/arms.ts";
import type { Scenario } from "../scenarios/define.ts";
import { businessBlock, perDayBasis } from "../scenarios/objective.ts";
import type { DispatchConfig } from "../server/core/config.ts";
import { hashString } from "../server/core/random.ts";
import { totalDuration } from "../traffic/profile.ts";
import type { ExecutionSegment } from "../traffic/segment.ts";
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
  /**
   * Run only this shard's replications (shardReplications): each configuration's RunResult is then a
   * partial one, for `rushhour merge` (results/merge.ts).
   */
  shard?: ExecutionSegment;
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
  const mine = shardReplications(R, options.shard);
  const totalMs = spans.reduce((a, b) => a + b, 0) * mine.length;
  let doneBefore = 0;
  const results: RunResult[] = [];
  options.arms.forEach((arm, armIndex) => {
    const started = new Date();
    const t0 = performance.now();
    const { traffic, cluster } = armInputs(scenario, arm.role);
    const outputs: ReplicationOutput[] = [];
    for (const r of mine) {
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
      assemble(
        scenario,
        arm,
        seeds,
        base,
        outputs,
        options.command ?? [],
        {
          startedAt: started.toISOString(),
          finishedAt: finished.toISOString(),
          wallSeconds: Math.round(performance.now() - t0) / 1000,
        },
        options.shard === undefined ? undefined : { shard: options.shard, replications: mine },
      ),
    );
  });
  return results;
}

function mergeMaps(
  outputs: ReplicationOutput[],
  pick: (o: ReplicationOutput) => Map<string, LatencyHistogram>,
) {
  return mergeHistogramMaps(outputs.map(pick));
}

/** Which replications a shard runs (sim --shard i/n): replication r goes to shard r mod n. */
export function shardReplications(replications: number, shard: ExecutionSegment | undefined): number[] {
  const all = Array.from({ length: replications }, (_, r) => r);
  return shard === undefined ? all : all.filter((r) => r % shard.count === shard.index);
}

export function assemble(
  scenario: Scenario,
  arm: SimArm,
  seeds: number[],
  base: number,
  outputs: ReplicationOutput[],
  command: string[],
  provenance: RunResult["provenance"],
  /** A shard's partial result: the shard, and the replication each output is (ascending). */
  part?: { shard: ExecutionSegment; replications: number[] },
): RunResult {
  const replicationOf = (k: number) => part?.replications[k] ?? k;
  const first = outputs[0]!;
  const overall = LatencyHistogram.create();
  for (const o of outputs) overall.merge(o.overall);
  const lanes = mergeMaps(outputs, (o) => o.byLane);
  const cohorts = mergeMaps(outputs, (o) => o.byCohort);
  const stages = mergeMaps(outputs, (o) => o.byStage);
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
    histograms: {
      overall: overall.encode(),
      byLane: lanes.encoded,
      byCohort: cohorts.encoded,
      byStage: stages.encoded,
    },
    counters,
    summary,
    perReplication: outputs.map((o, k) => ({
      replication: replicationOf(k),
      seed: seeds[replicationOf(k)]!,
      summary: o.summary,
      counters: o.counters,
      histogram: o.overall.encode(),
    })),
    events,
    thresholds,
    ...(scenario.calibration !== undefined ? { calibration: scenario.calibration } : {}),
    business: businessBlock(scenario, perDayBasis(scenario, armInputs(scenario, arm.role).traffic)),
    ...(part !== undefined
      ? {
          shard: {
            kind: "replications" as const,
            index: part.shard.index,
            count: part.shard.count,
            schedule: { replications: seeds.length },
            replicationHistograms: outputs.map((o, k) => ({
              replication: replicationOf(k),
              byLane: mergeHistogramMaps([o.byLane]).encoded,
              byCohort: mergeHistogramMaps([o.byCohort]).encoded,
              byStage: mergeHistogramMaps([o.byStage]).encoded,
            })),
          },
        }
      : {}),
  });
}
