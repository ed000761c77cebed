// `rushhour capacity --shard I/N`: a deterministic slice of the simulated capacity search, joined by
// `rushhour merge` (issue 16). The unsharded search bisects, and each bisection step needs the previous
// step's verdict, so its steps cannot be spread over pods without a coordinator; splitting one step's
// replications over pods would need one too (the step's verdict is judged on all of them). So a sharded search
// is two phases:
// 1. the bracket (double or halve from the scenario's peak until one rate meets the objective and one misses
//    it): every shard runs it, the same way (the simulation is seeded, so every shard finds the same bracket;
//    a few probes, repeated per shard);
// 2. a grid over the bracket, spaced at the tolerance: candidate k goes to shard k mod N. Every candidate is
//    independent, so N pods evaluate N at a time.
// The grid costs more probes than bisection in all ((hi - lo) / (lo x tolerance) against log2 of that), so it
// pays with about as many pods as that ratio; each shard's part is small. The merge puts every probe together
// and takes the highest candidate that met the objective below the lowest that missed it, as bisection would
// converge to when meeting the objective is monotone in the rate.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Probe, type SearchResult, searchCapacity } from "../reports/capacity/search.ts";
import { firstDifference, type ShardField, shardCoverage, shortJson } from "../results/shard-set.ts";
import type { ExecutionSegment } from "../traffic/segment.ts";
import type { Objective } from "./capacity.ts";

export const CAPACITY_SHARD_KIND = "rushhour-capacity-shard";

/** One shard's part of a sharded capacity search, as written to capacity.shard-I-of-N.json. */
export interface CapacityShard {
  kind: typeof CAPACITY_SHARD_KIND;
  scenario: string;
  config: string;
  objective: Objective;
  /** What every shard of one search must agree on. */
  settings: { durationMs: number; replications: number; tolerance: number; start: number };
  shard: { index: number; count: number };
  /** The bracket every shard found: `lo` met the objective, `hi` missed it (0 / null: none did). */
  bracket: { lo: number; hi: number | null };
  /** The whole grid (every shard's candidates). */
  candidates: number[];
  /** The bracket's probes (the same in every shard) and this shard's grid probes. */
  bracketProbes: Probe[];
  probes: Probe[];
}

/** Rates strictly inside (lo, hi), evenly spaced no wider than tolerance x lo. */
export function gridCandidates(lo: number, hi: number, tolerance: number): number[] {
  if (!(lo > 0) || !Number.isFinite(hi) || (hi - lo) / lo <= tolerance) return [];
  const steps = Math.ceil((hi - lo) / (lo * tolerance));
  return Array.from({ length: steps - 1 }, (_, k) => lo + ((hi - lo) * (k + 1)) / steps);
}

export interface ShardedSearchOptions {
  start: number;
  tolerance: number;
  /** Probes of the bracket phase at most. */
  maxProbes: number;
}

/** This shard's part of the search: the bracket, then its candidates of the grid. */
export async function shardedSearch(
  probe: (rate: number) => Promise<Probe>,
  o: ShardedSearchOptions,
  shard: ExecutionSegment,
): Promise<Pick<CapacityShard, "bracket" | "candidates" | "bracketProbes" | "probes">> {
  // Tolerance infinite: searchCapacity stops once the boundary is bracketed, before bisecting.
  const b = await searchCapacity(probe, {
    start: o.start,
    tolerance: Number.POSITIVE_INFINITY,
    maxProbes: o.maxProbes,
  });
  const candidates = gridCandidates(b.best, b.firstFailing, o.tolerance);
  const probes: Probe[] = [];
  for (let k = shard.index; k < candidates.length; k += shard.count)
    probes.push(await probe(candidates[k] as number));
  return {
    bracket: { lo: b.best, hi: Number.isFinite(b.firstFailing) ? b.firstFailing : null },
    candidates,
    bracketProbes: b.probes,
    probes,
  };
}

export class CapacityMergeError extends Error {
  override name = "CapacityMergeError";
}

/** Whether a parsed JSON file is a capacity shard. */
export function isCapacityShard(value: unknown): value is CapacityShard {
  return (
    typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === CAPACITY_SHARD_KIND
  );
}

export function capacityShardFile(outDir: string, shard: ExecutionSegment): string {
  return join(outDir, `capacity.shard-${shard.index}-of-${shard.count}.json`);
}

export function writeCapacityShard(part: CapacityShard, outDir: string): string {
  const file = capacityShardFile(outDir, part.shard);
  writeFileSync(file, `${JSON.stringify(part, null, 2)}\n`);
  return file;
}

/**
 * Joins every shard of one sharded search into its result. Refuses shards of different searches (naming
 * the field and both files), a shard given twice and a missing shard (naming its index).
 */
export function mergeCapacityShards(inputs: readonly { source: string; part: CapacityShard }[]): {
  part: CapacityShard;
  search: SearchResult;
} {
  const first = inputs[0];
  if (first === undefined) throw new CapacityMergeError("no capacity shard files given");
  const fields: ShardField<CapacityShard>[] = [
    ["scenario", (p) => p.scenario],
    ["config", (p) => p.config],
    ["objective", (p) => p.objective],
    ["settings", (p) => p.settings],
    ["shard.count", (p) => p.shard.count],
    ["bracket", (p) => p.bracket],
    ["candidates", (p) => p.candidates],
  ];
  for (const other of inputs.slice(1)) {
    const d = firstDifference(first.part, other.part, fields);
    if (d !== null) {
      throw new CapacityMergeError(
        `capacity shards of different searches: ${d.field} is ${shortJson(d.a)} in ${first.source} but ${shortJson(d.b)} in ${other.source}`,
      );
    }
  }
  const count = first.part.shard.count;
  const { twice, missing } = shardCoverage(
    inputs.map((i) => ({ index: i.part.shard.index, source: i.source })),
    count,
  );
  if (twice !== null) {
    throw new CapacityMergeError(
      `capacity shard ${twice.index}/${count} given twice: ${twice.first} and ${twice.second}`,
    );
  }
  if (missing.length > 0) {
    throw new CapacityMergeError(
      `missing capacity shard${missing.length > 1 ? "s" : ""} ${missing.map((i) => `${i}/${count}`).join(", ")} of ${first.part.scenario} (${first.part.config}): merge needs every shard`,
    );
  }
  const grid = inputs.flatMap((i) => i.part.probes).sort((a, b) => a.rate - b.rate);
  const { bracket } = first.part;
  // The lowest rate that missed (the bracket's top, or a grid rate below it); the best is the highest that met
  // the objective below it.
  let firstFailing = bracket.hi ?? Number.POSITIVE_INFINITY;
  for (const p of grid) if (!p.ok && p.rate < firstFailing) firstFailing = p.rate;
  let best = bracket.lo < firstFailing ? bracket.lo : 0;
  for (const p of grid) if (p.ok && p.rate < firstFailing && p.rate > best) best = p.rate;
  return {
    part: first.part,
    search: { best, firstFailing, probes: [...first.part.bracketProbes, ...grid] },
  };
}
