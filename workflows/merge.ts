// Merging the shards of a sharded run from files, as a function: read every partial RunResult under the given
// files and folders, merge them (results/merge.ts) and write one RunResult per configuration, named as the
// unsharded run would have named it. Capacity searches sharded with capacity --shard (workflows/capacity-shard.ts)
// are joined into their capacity report instead, and tune runs sharded with tune --shard
// (workflows/tune-shard.ts) into their tuning report. `rushhour merge` calls it.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { readRunResultFile, runResultFiles } from "../reports/load-runs.ts";
import { mergeShards } from "../results/merge.ts";
import { type RunResult, writeRunResult } from "../results/run-result.ts";
import { type CapacityReport, writeCapacityReport } from "./capacity.ts";
import { type CapacityShard, isCapacityShard, mergeCapacityShards } from "./capacity-shard.ts";
import { runFile } from "./files.ts";
import { type TuneReport, writeTuneReport } from "./tune-report.ts";
import { isTuneResult, mergeTuneShards, reviveTuneResult, type TuneShardInput } from "./tune-shard.ts";

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

/** What the JSON files under the paths `rushhour merge` was given hold, by kind. */
export interface ShardFiles {
  /** Capacity search shards (capacity --shard: capacity.shard-I-of-N.json). */
  capacity: { source: string; part: CapacityShard }[];
  /** tune.json files (tune --shard; an unsharded one too, which the merge refuses by name). */
  tune: TuneShardInput[];
  /** RunResults (a top-level schemaVersion). */
  runResults: string[];
  /** Files given by name that are none of these (in folders, other JSON files are skipped). */
  other: string[];
  /** Paths given that do not exist. */
  missing: string[];
}

/**
 * Sorts the given files and the folders' JSON files (searched recursively) by what they hold, reading each
 * once.
 */
export function shardFilesIn(paths: readonly string[]): ShardFiles {
  const out: ShardFiles = { capacity: [], tune: [], runResults: [], other: [], missing: [] };
  const visit = (p: string, named: boolean) => {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(p);
    } catch {
      out.missing.push(p);
      return;
    }
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) visit(join(p, name), false);
      return;
    }
    if (!named && !p.endsWith(".json")) return;
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(p, "utf8"));
    } catch {
      value = undefined; // not JSON: a named file is "other", and the RunResult merge says why
    }
    if (isCapacityShard(value)) out.capacity.push({ source: p, part: value });
    else if (isTuneResult(value)) out.tune.push({ source: p, result: reviveTuneResult(value) });
    else if (typeof value === "object" && value !== null && "schemaVersion" in value) out.runResults.push(p);
    else if (named) out.other.push(p);
  };
  for (const p of paths) visit(p, true);
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

/**
 * Joins the shards of a sharded tune run and writes its report (index.html, tuning.md, tune.json, charts and
 * recommended-config.json) into outDir. Throws TuneMergeError for shards that do not fit or a missing one.
 */
export function mergeTuneFiles(
  shards: readonly TuneShardInput[],
  outDir: string,
): { report: TuneReport; files: ReturnType<typeof writeTuneReport>; shards: number } {
  const report: TuneReport = mergeTuneShards(shards);
  return { report, files: writeTuneReport(report, outDir), shards: shards.length };
}
