// Successive halving, the racing phase of `rushhour tune`: every candidate of the design runs a few
// replications, the best third goes on to more, and so on, so the budget is spent where it decides something.
// Replication r has the same seed for every candidate (common random numbers: the same orders and faults), so
// two candidates' difference is measured far more precisely than either's value. Pure: the runs are the caller's.

export interface Rung {
  /** Candidates that run in this rung. */
  candidates: number;
  /** Replications each of them has after this rung (cumulative). */
  reps: number;
}

export interface RaceSchedule {
  rungs: Rung[];
  /** Simulated runs the whole race costs (per scenario). */
  runs: number;
}

/** Replications per rung (cumulative), the factor that cuts the field, and how many reach the last rung. */
export const REPS_LADDER = [1, 3, 6] as const;
export const ETA = 3;
export const FINALISTS = 3;

function scheduleFor(n0: number, ladder: readonly number[]): RaceSchedule {
  const rungs: Rung[] = [];
  let n = n0;
  let runs = 0;
  let prevReps = 0;
  ladder.forEach((reps, k) => {
    if (k > 0) n = Math.min(n, Math.max(FINALISTS, Math.ceil(n / ETA)));
    rungs.push({ candidates: n, reps });
    runs += n * (reps - prevReps);
    prevReps = reps;
  });
  return { rungs, runs };
}

/** The largest design (first-rung candidates) whose race costs at most `budget` runs; at least 2 candidates. */
export function raceSchedule(budget: number, maxCandidates = Number.POSITIVE_INFINITY): RaceSchedule {
  let best = scheduleFor(2, REPS_LADDER);
  for (let n0 = 3; n0 <= Math.min(maxCandidates, 10_000); n0++) {
    const s = scheduleFor(n0, REPS_LADDER);
    if (s.runs > budget) break;
    best = s;
  }
  if (maxCandidates < best.rungs[0]!.candidates) best = scheduleFor(Math.max(1, maxCandidates), REPS_LADDER);
  return best;
}

/** Every candidate evaluated at the last rung's replications: what racing saves against (same design). */
export function fullEvaluationRuns(s: RaceSchedule): number {
  return s.rungs[0]!.candidates * s.rungs.at(-1)!.reps;
}

export interface Standing {
  id: number;
  feasible: boolean;
  /** Mean objective over the replications run so far (common to every candidate in the rung). */
  mean: number;
}

/** Orders feasible candidates best first (ties by id, so the order is deterministic). */
export function ranking(standings: readonly Standing[], goal: "min" | "max"): Standing[] {
  const sign = goal === "min" ? 1 : -1;
  return standings
    .filter((s) => s.feasible && Number.isFinite(s.mean))
    .sort((a, b) => sign * (a.mean - b.mean) || a.id - b.id);
}

/** The ids that go on to the next rung. */
export function survivors(standings: readonly Standing[], keep: number, goal: "min" | "max"): number[] {
  return ranking(standings, goal)
    .slice(0, keep)
    .map((s) => s.id);
}
