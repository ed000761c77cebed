// Merging the shards of a sharded run from files, as a function: read every partial RunResult under the given
// files and folders, merge them (results/merge.ts) and write one RunResult per configuration, named as the
// unsharded run would have named it. Capacity searches sharded with capacity --shard (workflows/capacity-shard.ts)
// are joined into their capacity report instead. `rushhour merge` calls it.
import { readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { readRunResultFile, runResultFiles } from "../reports/load-runs.ts";
import { mergeShards } from "../results/merge.ts";
import { type RunResult, writeRunResult } from "../results/run-result.ts";
import { type CapacityReport, writeCapacityReport } from "./capacity.ts";
import { type CapacityShard, mergeCapacityShards, readCapacityShard } from "./capacity-shard.ts";
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

/** The capacity shards (capacity --shard) among the given files and folders' JSON files (searched recursively). */
export function capacityShardsIn(paths: readonly string[]): { source: string; part: CapacityShard }[] {
  const out: { source: string; part: CapacityShard }[] = [];
  const visit = (p: string) => {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(p);
    } catch {
      return; // runResultFiles names a missing path
    }
    if (st.isDirectory()) for (const name of readdirSync(p).sort()) visit(join(p, name));
    else if (p.endsWith(".json")) {
      const part = readCapacityShard(p);
      if (part !== null) out.push({ source: p, part });
    }
  };
  for (const p of paths) visit(p);
  return out;
}

/**
 * Joins the shards of a sharded capacity search and writes its report (index.html, charts, capacity.json)
 * into outDir. Throws CapacityMergeError for shards that do not fit or a missing one.
 */
export function mergeCapacityFiles(
  shards: readonly { source: string; part: CapacityShard }[],
  outDir: string,
): { report: CapacityReport; files: { html: string; json: string }; shards: number } {
  const { part, search } = mergeCapacityShards(shards);
  const note = `sharded search (${part.shard.count} shards): simulated only`;
  const report: CapacityReport = {
    scenario: part.scenario,
    config: part.config,
    objective: part.objective,
    search,
    liveNote: `${note}; no live confirmation (rushhour capacity without --shard runs it)`,
    uslNote: `${note}; no USL fit (it needs live constant-vus runs)`,
  };
  return { report, files: writeCapacityReport(report, outDir), shards: shards.length };
}
