// `rushhour merge` for `rushhour tune --shard I/N`: joins the shards' tune.json into the result of the whole
// design. Each shard raced its slice of the design (candidates k with k mod N = I) on the same seeds, and ran
// the scenario's current configurations on the same replications, so every shard's candidates and arms are
// comparable: the merged best is the best of the shards' bests, and the runner-ups, the sensitivity and the
// Pareto front are worked out again over every shard's candidates with the code tune itself uses. Halving
// within each slice is not halving over the whole design (a candidate a slice kept might have been dropped
// in the whole race, and the other way round), so the merged best may differ from an unsharded run's.
import { ranking } from "../reports/tuning/race.ts";
import { firstDifference, type ShardField, shardCoverage, shortJson } from "../results/shard-set.ts";
import {
  type Candidate,
  finalistsOf,
  firstRungAnalysis,
  isShardNote,
  NO_RECOMMENDATION_NOTE,
  pairing,
  runnerUpsOf,
  type TuneResult,
} from "./tune.ts";

export class TuneMergeError extends Error {
  override name = "TuneMergeError";
}

export interface TuneShardInput {
  /** The file it came from, named in errors. */
  source: string;
  result: TuneResult;
}

/** Whether a parsed JSON file is a tune.json: it has the race's schedule and the candidates. */
export function isTuneResult(value: unknown): value is TuneResult {
  return typeof value === "object" && value !== null && "schedule" in value && "candidates" in value;
}

/**
 * A parsed tune.json with the numbers it could not write put back: tune.json writes NaN (a metric not
 * observed, an invalid candidate's objective) as null, and the merge ranks and prints them as tune did.
 */
export function reviveTuneResult(r: TuneResult): TuneResult {
  if (missingFields(r).length > 0) return r; // mergeTuneShards names what is missing
  const num = (x: number | null) => (x === null ? Number.NaN : x);
  const nums = (xs: readonly (number | null)[]) => xs.map(num);
  const arm = (a: TuneResult["arms"]["current"]) => ({
    ...a,
    objective: num(a.objective),
    perRep: nums(a.perRep),
  });
  return {
    ...r,
    candidates: r.candidates.map((c) => ({
      ...c,
      objective: num(c.objective),
      perRep: nums(c.perRep),
      perScenario: Object.fromEntries(Object.entries(c.perScenario).map(([k, v]) => [k, nums(v)])),
    })),
    arms: { current: arm(r.arms.current), baseline: arm(r.arms.baseline) },
  };
}

/** The fields the merge reads; a tune.json without one of them is refused naming it (mergeTuneShards). */
const REQUIRED: readonly (keyof TuneResult)[] = [
  "scenarios",
  "seed",
  "space",
  "base",
  "schedule",
  "candidates",
  "runs",
  "fullRuns",
  "wallSeconds",
  "arms",
  "perScenario",
  "notes",
];

function missingFields(r: TuneResult): string[] {
  // A parsed file holds what it holds, whatever the type says.
  return REQUIRED.filter((k) => (r as unknown as Record<string, unknown>)[k] == null);
}

/**
 * Checks that the shards are every shard of one sharded run, once each, and returns their candidates in id
 * order. Throws TuneMergeError naming the field and both files, the index, or the unsharded file.
 */
function checkShards(shards: readonly TuneShardInput[]): Candidate[] {
  const first = shards[0];
  if (first === undefined) throw new TuneMergeError("no tune.json files given");
  for (const s of shards) {
    const missing = missingFields(s.result);
    if (missing.length > 0)
      throw new TuneMergeError(`${s.source}: not a whole tune.json (no ${missing.join(", ")})`);
    if (s.result.shard === undefined)
      throw new TuneMergeError(
        `${s.source}: the tune.json of an unsharded run (no "shard" block): nothing to merge ` +
          "(rushhour merge joins the tune.json of each rushhour tune --shard I/N)",
      );
  }
  // The arms' objectives per replication are in the list: every shard runs the current configurations on
  // the same seeds, so they agree unless the scenario, a configuration or the simulator differs.
  const fields: ShardField<TuneResult>[] = [
    ["scenarios", (r) => r.scenarios],
    ["seed", (r) => r.seed],
    ["space", (r) => r.space],
    ["base", (r) => r.base],
    ["arms.current.name", (r) => r.arms.current.name],
    ["arms.baseline.name", (r) => r.arms.baseline.name],
    ["arms.current.perRep", (r) => r.arms.current.perRep],
    ["arms.baseline.perRep", (r) => r.arms.baseline.perRep],
    ["shard.count", (r) => r.shard?.count],
    // The design's size follows from --budget, which tune.json does not record otherwise.
    ["designSize", (r) => r.designSize],
    ["schedule's replications per rung", (r) => r.schedule.rungs.map((g) => g.reps)],
  ];
  for (const other of shards.slice(1)) {
    const d = firstDifference(first.result, other.result, fields);
    if (d !== null) {
      throw new TuneMergeError(
        `tune shards of different runs: ${d.field} is ${shortJson(d.a)} in ${first.source} but ${shortJson(d.b)} in ${other.source}`,
      );
    }
  }
  const head = first.result;
  const count = head.shard!.count;
  const { twice, missing } = shardCoverage(
    shards.map((s) => ({ index: s.result.shard!.index, source: s.source })),
    count,
  );
  if (twice !== null)
    throw new TuneMergeError(
      `tune shard ${twice.index}/${count} given twice: ${twice.first} and ${twice.second}`,
    );
  if (missing.length > 0) {
    throw new TuneMergeError(
      `missing tune shard${missing.length > 1 ? "s" : ""} ${missing.map((i) => `${i}/${count}`).join(", ")} of ${head.scenarios.join(", ")} (from ${head.base}): merge needs every shard`,
    );
  }
  const candidates: Candidate[] = shards.flatMap((s) => s.result.candidates).sort((a, b) => a.id - b.id);
  const ids = candidates.map((c) => c.id);
  if (
    head.designSize !== undefined &&
    ids.join() !== Array.from({ length: head.designSize }, (_, k) => k).join()
  )
    throw new TuneMergeError(
      `the tune shards' candidates (${ids.join(", ")}) are not the design's ${head.designSize} (0 to ${head.designSize - 1}) once each`,
    );
  return candidates;
}

/** The result of the whole design from every shard of one sharded tune run. Throws TuneMergeError. */
export function mergeTuneShards(shards: readonly TuneShardInput[]): TuneResult {
  const candidates = checkShards(shards);
  const head = shards[0]!.result;
  const count = head.shard!.count;
  const goal = head.space.objective.goal;
  const finalReps = head.schedule.rungs.at(-1)!.reps;
  const sum = (f: (r: TuneResult) => number) => shards.reduce((a, s) => a + f(s.result), 0);
  const notes = [
    ...new Set(
      shards.flatMap((s) => s.result.notes).filter((n) => !isShardNote(n) && n !== NO_RECOMMENDATION_NOTE),
    ),
  ];
  const result: TuneResult = {
    scenarios: head.scenarios,
    seed: head.seed,
    space: head.space,
    base: head.base,
    // Each rung's candidates are every shard's together (a shard's ladder is its slice's).
    schedule: {
      rungs: head.schedule.rungs.map((g, k) => ({
        candidates: sum((r) => r.schedule.rungs[k]!.candidates),
        reps: g.reps,
      })),
      runs: sum((r) => r.schedule.runs),
    },
    candidates,
    runs: sum((r) => r.runs),
    fullRuns: sum((r) => r.fullRuns),
    wallSeconds: Math.max(...shards.map((s) => s.result.wallSeconds)),
    arms: head.arms,
    perScenario: [],
    sensitivity: [],
    notes,
  };

  // The best of the shards' bests: each is its slice's best finalist, so this is the best finalist of all.
  const bests = shards.flatMap((s) => (s.result.best !== undefined ? [s.result] : []));
  const top = ranking(
    bests.map((r) => ({ id: r.best!.id, feasible: true, mean: r.best!.objective })),
    goal,
  )[0];
  const from = bests.find((r) => r.best!.id === top?.id);
  if (from !== undefined) {
    const b = from.best!;
    const best = candidates.find((c) => c.id === b.id)!;
    const { runnerUps, clearWinner } = runnerUpsOf(
      best,
      finalistsOf(candidates, finalReps, goal),
      candidates,
      pairing(head.seed, finalReps, goal),
    );
    // Its comparisons with the current configurations stand: every shard ran them on the same seeds.
    result.best = { ...b, runnerUps, clearWinner };
    result.perScenario = from.perScenario;
  } else notes.push(NO_RECOMMENDATION_NOTE);
  const analysis = firstRungAnalysis(head.space, candidates);
  result.sensitivity = analysis.sensitivity;
  if (analysis.pareto !== undefined) result.pareto = analysis.pareto;
  notes.push(
    `merged from ${count} shard${count === 1 ? "" : "s"} (rushhour tune --shard I/${count}): each raced its slice of the ` +
      `${candidates.length} candidates, so the finalists are every shard's and the best is the best of theirs; ` +
      "the runs count the current configurations once per shard (each shard runs them), and the wall time is " +
      "the slowest shard's (the shards run side by side)",
  );
  return result;
}
