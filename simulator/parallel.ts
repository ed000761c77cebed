// simulate() on several worker threads: each replication of each configuration is one task. Results
// are identical to simulate() (same seeds, same assembly); only provenance timestamps differ.
import { Worker } from "node:worker_threads";
import { LatencyHistogram } from "../results/histogram.ts";
import type { RunResult } from "../results/run-result.ts";
import { armInputs } from "../scenarios/arms.ts";
import type { Scenario } from "../scenarios/define.ts";
import { totalDuration } from "../traffic/profile.ts";
import type { ReplicationOutput } from "./replication.ts";
import { assemble, replicationSeed, type SimulateOptions, shardReplications, simulate } from "./runner.ts";
import type { ReplicationTask } from "./worker.ts";

type EncodedOutput = Omit<ReplicationOutput, "overall" | "byLane" | "byCohort" | "byStage"> & {
  overall: string;
  byLane: [string, string][];
  byCohort: [string, string][];
  byStage: [string, string][];
};

function decode(o: EncodedOutput): ReplicationOutput {
  const map = (entries: [string, string][]) =>
    new Map(entries.map(([k, v]) => [k, LatencyHistogram.decode(v)]));
  return {
    ...o,
    overall: LatencyHistogram.decode(o.overall),
    byLane: map(o.byLane),
    byCohort: map(o.byCohort),
    byStage: map(o.byStage),
  };
}

/** Like simulate(), on up to `jobs` worker threads (jobs <= 1 runs in this thread). */
export async function simulateParallel(
  scenario: Scenario,
  options: SimulateOptions & { jobs: number },
): Promise<RunResult[]> {
  const R = options.replications;
  const mine = shardReplications(R, options.shard);
  const jobs = Math.min(options.jobs, options.arms.length * mine.length);
  if (jobs <= 1) return simulate(scenario, options);
  const base = options.seed ?? scenario.seed;
  const seeds = Array.from({ length: R }, (_, r) => replicationSeed(base, r));
  const tasks: (ReplicationTask & { arm: number; r: number; span: number })[] = [];
  options.arms.forEach((arm, a) => {
    const span = totalDuration(armInputs(scenario, arm.role).traffic) + scenario.drain;
    for (const r of mine) {
      tasks.push({
        id: tasks.length,
        arm: a,
        r,
        span,
        definition: scenario.definition,
        file: scenario.file,
        role: arm.role,
        config: arm.config,
        seed: seeds[r]!,
        detailed: r === 0,
      });
    }
  });
  const totalMs = tasks.reduce((sum, t) => sum + t.span, 0);
  const progress = new Array<number>(tasks.length).fill(0);
  const outputs = new Array<ReplicationOutput | undefined>(tasks.length);
  const started = new Date();
  const t0 = performance.now();
  const workers = Array.from(
    { length: jobs },
    () => new Worker(new URL("./worker-entry.mjs", import.meta.url)),
  );
  try {
    let next = 0;
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const send = () => {
              if (next >= tasks.length) {
                resolve();
                return;
              }
              const { arm: _a, r: _r, span: _s, ...task } = tasks[next++]!;
              worker.postMessage(task);
            };
            worker.on("message", (m: { id: number; progress?: number; output?: EncodedOutput }) => {
              if (m.output !== undefined) {
                outputs[m.id] = decode(m.output);
                progress[m.id] = tasks[m.id]!.span;
                send();
              } else if (m.progress !== undefined) {
                progress[m.id] = m.progress;
              }
              if (options.onProgress) {
                const t = tasks[m.id]!;
                const label = `${options.arms[t.arm]!.name} ${t.r + 1}/${R}`;
                options.onProgress(
                  progress.reduce((a, b) => a + b, 0),
                  totalMs,
                  label,
                );
              }
            });
            worker.on("error", reject);
            send();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  const provenance = {
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    wallSeconds: Math.round(performance.now() - t0) / 1000,
  };
  return options.arms.map((arm, a) =>
    assemble(
      scenario,
      arm,
      seeds,
      base,
      tasks.filter((t) => t.arm === a).map((t) => outputs[t.id]!),
      options.command ?? [],
      provenance,
      options.shard === undefined ? undefined : { shard: options.shard, replications: mine },
    ),
  );
}
