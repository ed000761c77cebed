// Merging the shards of a sharded run from files, as a function: read every partial RunResult under the given
// files and folders, merge them (results/merge.ts) and write one RunResult per configuration, named as the
// unsharded run would have named it. `rushhour merge` calls it.
import { resolve } from "node:path";
import { readRunResultFile, runResultFiles } from "../reports/load-runs.ts";
import { mergeShards } from "../results/merge.ts";
import { type RunResult, writeRunResult } from "../results/run-result.ts";
import { runFile } from "./files.ts";

export interface MergedRun {
  file: string;
  result: RunResult;
  /** How many shard files went into it. */
  shards: number;
}

/** Throws InputError (reports/load-runs.ts) for unreadable input, MergeError for shards that do not fit. */
export function mergeShardFiles(paths: readonly string[], outDir: string): MergedRun[] {
  const inputs = runResultFiles(paths).map((source) => ({ source, result: readRunResultFile(source) }));
  const merged = mergeShards(inputs);
  return merged.map((result) => {
    const file = runFile(resolve(outDir), result.scenario.name, result.config.name);
    writeRunResult(file, result);
    const shards = inputs.filter(
      (i) => i.result.config.name === result.config.name && i.result.config.role === result.config.role,
    ).length;
    return { file, result, shards };
  });
}
