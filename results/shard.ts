// The `shard` block of a partial RunResult: what a shard of a sharded run (load --segment, sim --shard)
// adds so that `rushhour merge` (results/merge.ts) can put the shards back together exactly and refuse
// shards of different runs. A merged (or unsharded) RunResult has no shard block.
import { z } from "zod";

const index = z.number().int().min(0);

/** One replication's per-lane and per-cohort histograms (a sim shard keeps them apart so the merge adds them in order). */
export const ReplicationHistogramsSchema = z.object({
  replication: index,
  byLane: z.record(z.string(), z.string()),
  byCohort: z.record(z.string(), z.string()),
  byStage: z.record(z.string(), z.string()).optional(),
});

export const ShardSchema = z.object({
  /** "segment": a load shard (its share of the arrival schedule); "replications": a simulation shard. */
  kind: z.enum(["segment", "replications"]),
  index,
  count: z.number().int().min(1),
  /**
   * What every shard of one run must agree on, beyond scenario, configuration and seeds: a load shard's
   * executor as run (scaled durations, VU limits) and start instant; a sim shard's replication count.
   */
  schedule: z.object({
    executor: z.unknown().optional(),
    startAt: z.string().optional(),
    replications: z.number().int().min(1).optional(),
  }),
  /** Load: iterations of the schedule assigned to this shard. */
  iterations: z.number().int().min(0).optional(),
  /** Load: how late this shard's engines were ready after the shared start (ms; 0 when on time). */
  lateStartMs: z.number().finite().min(0).optional(),
  /** Load: whether this shard read the servers (snapshots, events, stock, faults): shard 0 only. */
  serverView: z.boolean().optional(),
  /** Load: each window's latency histogram (encoded), in series order, for an exact per-window merge. */
  windows: z.array(z.string()).optional(),
  /** Sim: per replication, the histograms the RunResult otherwise keeps only merged. */
  replicationHistograms: z.array(ReplicationHistogramsSchema).optional(),
});
export type ShardInfo = z.infer<typeof ShardSchema>;
