// `rushhour tune`'s work: search a space of configurations (workflows/tune-space.ts) for the one that minimises
// an objective under constraints, in simulation. A Latin hypercube start (reports/tuning/design.ts), then
// successive halving (reports/tuning/race.ts): one replication for every candidate, three for the best third,
// six for the finalists, replication r on the same seed for every candidate and for the scenario's baseline and
// candidate (common random numbers). The answer: the best configuration as a config file, paired 95% CIs
// against the current configurations and the runner-ups, each parameter's sensitivity, the Pareto front when
// a cost is given. Candidates that fail validation or a constraint are kept with the reason.

import { firstOrderIndex, type ParetoPoint, paretoFront } from "../reports/tuning/analysis.ts";
import { designCandidates } from "../reports/tuning/design.ts";
import {
  fullEvaluationRuns,
  type RaceSchedule,
  raceSchedule,
  ranking,
  type Standing,
  survivors,
} from "../reports/tuning/race.ts";
import { mergeHistogramMaps, sumCounters } from "../results/assemble.ts";
import { LatencyHistogram } from "../results/histogram.ts";
import { judgeObserved, type Observed } from "../results/judge.ts";
import type { RunResult, ThresholdResult } from "../results/run-result.ts";
import { bootstrapDelta, type ChangeVerdict, type DeltaEstimate, mean, verdictOf } from "../results/stats.ts";
import type { Scenario } from "../scenarios/define.ts";
import { type DispatchConfig, mergeJson } from "../server/core/config.ts";
import { simulateParallel } from "../simulator/parallel.ts";
import { replicationSeed } from "../simulator/runner.ts";
import type { ExecutionSegment } from "../traffic/segment.ts";
import {
  applyToConfig,
  applyToScenario,
  getPath,
  nestedOverride,
  type ParamValue,
  type TuneSpace,
} from "./tune-space.ts";

/** Simulated runs the race may spend per scenario by default (the arms' final runs come on top). */
export const DEFAULT_BUDGET = 36;

export interface TuneArm {
  /** Preset name or config file as given. */
  name: string;
  config: DispatchConfig;
}

export interface TuneOptions {
  /** The scenarios the objective is judged on (the first names the report); each candidate runs in each. */
  scenarios: Scenario[];
  space: TuneSpace;
  /** What candidates extend: the scenario's candidate configuration or the space's `extends`. */
  base: TuneArm;
  /** The raw file form of `base` ({"extends": preset} or the file's JSON), for the recommended config file. */
  baseFile: Record<string, unknown>;
  /** The scenario's current configurations, measured against the best on the same seeds. */
  baseline: TuneArm;
  current: TuneArm;
  budget: number;
  jobs: number;
  /** Base seed of the design and the replications (default: the first scenario's seed). */
  seed?: number;
  /** Race only this deterministic slice of the design (candidate k is shard k mod n's). */
  shard?: ExecutionSegment;
  onProgress?: (done: number, total: number, label: string) => void;
  /** No race: every candidate of the design runs the last rung's replications (bench/tune.ts measures the saving). */
  fullEvaluation?: boolean;
}

export type CandidateStatus = "ok" | "invalid" | "infeasible" | "dropped";

export interface Candidate {
  id: number;
  values: Record<string, ParamValue>;
  status: CandidateStatus;
  /** Why it is invalid (validation problems by path) or infeasible (the failed constraints). */
  reasons: string[];
  /** Replications run (the rung it reached). */
  reps: number;
  /** Combined objective per replication (index r = seed r). */
  perRep: number[];
  /** Per scenario: the metric (without cost) per replication. */
  perScenario: Record<string, number[]>;
  /** Mean combined objective over its replications. */
  objective: number;
  /** Cost part of the objective (sum of price x value), 0 without a cost. */
  cost: number;
  constraints: ThresholdResult[];
}

export interface PairedResult {
  against: string;
  estimate: DeltaEstimate;
  verdict: ChangeVerdict;
}

export type RunnerUp = PairedResult & { id: number; objective: number };

export interface ScenarioOutcome {
  scenario: string;
  best: number;
  current: number;
  baseline: number;
  vsCurrent: PairedResult;
}

export interface TuneResult {
  scenarios: string[];
  seed: number;
  space: TuneSpace;
  base: string;
  schedule: RaceSchedule;
  shard?: ExecutionSegment;
  /** A shard's: the candidates of the whole design, every shard's slice together (the merge checks it). */
  designSize?: number;
  candidates: Candidate[];
  /** Runs spent (simulated replications, every scenario). */
  runs: number;
  /** What evaluating every design candidate at the last rung's replications would have cost. */
  fullRuns: number;
  wallSeconds: number;
  best?: {
    id: number;
    values: Record<string, ParamValue>;
    objective: number;
    /** The resolved configuration (validated). */
    config: DispatchConfig;
    /** The recommended configuration file: the base's file form with the overrides merged in. */
    configFile: Record<string, unknown>;
    /** Cluster settings of the scenario (not part of a configuration file). */
    cluster: Record<string, ParamValue>;
    vsCurrent: PairedResult;
    vsBaseline: PairedResult;
    runnerUps: RunnerUp[];
    /** Best significantly better than every runner-up. */
    clearWinner: boolean;
  };
  arms: {
    current: { name: string; objective: number; perRep: number[] };
    baseline: { name: string; objective: number; perRep: number[] };
  };
  perScenario: ScenarioOutcome[];
  sensitivity: { path: string; index: number; points: { x: ParamValue; y: number }[] }[];
  pareto?: ParetoPoint[];
  notes: string[];
}

interface Evaluation {
  /** Combined objective per replication. */
  perRep: number[];
  perScenario: Record<string, number[]>;
}

/** The objective's value in one run (null: the metric is not available), read by the one threshold judge. */
export function metricOf(space: TuneSpace, o: Observed): number | null {
  const { metric, stat } = space.objective;
  return judgeObserved({ [metric]: [`${stat}<0`] }, o)[0]!.observed;
}

/** A RunResult as the judge reads it (its merged histograms, counters and replication points). */
export function observedOf(runs: readonly RunResult[]): Observed {
  const decode = (rec: Record<string, string>) =>
    new Map(Object.entries(rec).map(([k, v]) => [k, LatencyHistogram.decode(v)]));
  const overall = LatencyHistogram.create();
  for (const r of runs) overall.merge(LatencyHistogram.decode(r.histograms.overall));
  return {
    overall,
    cohorts: mergeHistogramMaps(runs.map((r) => decode(r.histograms.byCohort))).merged,
    counters: sumCounters(runs.map((r) => r.counters)),
    points: runs.flatMap((r) => r.perReplication.map((p) => p.summary)),
  };
}

function costOf(space: TuneSpace, values: Record<string, ParamValue>): number {
  let c = 0;
  for (const [path, price] of Object.entries(space.objective.cost)) c += price * Number(values[path]);
  return c;
}

function combine(space: TuneSpace, byScenario: readonly { name: string; value: number }[]): number {
  if (space.objective.combine === "weighted") {
    const w = space.objective.weights;
    const total = byScenario.reduce((s, x) => s + (w[x.name] ?? 1), 0);
    return byScenario.reduce((s, x) => s + (w[x.name] ?? 1) * x.value, 0) / total;
  }
  const vs = byScenario.map((x) => x.value);
  return space.objective.goal === "min" ? Math.max(...vs) : Math.min(...vs);
}

export async function tune(o: TuneOptions): Promise<TuneResult> {
  const t0 = performance.now();
  const space = o.space;
  const goal = space.objective.goal;
  const seed = o.seed ?? o.scenarios[0]!.seed;
  const full = raceSchedule(o.budget);
  const designValues = designCandidates(
    full.rungs[0]!.candidates,
    space.parameters.map((p) => ({
      ...(p.grid ? { grid: p.grid } : {}),
      ...(p.range ? { range: p.range } : {}),
    })),
    seed,
  );
  const notes: string[] = [];
  if (designValues.length < full.rungs[0]!.candidates)
    notes.push(`the space holds ${designValues.length} distinct candidates; each is raced`);
  let design = designValues.map((vals, id) => ({ id, vals }));
  if (o.shard !== undefined && o.shard.count > 1) {
    const { index, count } = o.shard;
    design = design.filter((d) => d.id % count === index);
    notes.push(
      shardNote(
        o.shard,
        design.map((d) => d.id),
        designValues.length,
      ),
    );
  }
  // The full ladder for the design's candidates (the budget chose how many there are).
  const ladder = raceSchedule(Number.POSITIVE_INFINITY, design.length);
  const lastReps = ladder.rungs.at(-1)!.reps;
  const schedule: RaceSchedule = o.fullEvaluation
    ? { rungs: [{ candidates: design.length, reps: lastReps }], runs: design.length * lastReps }
    : ladder;
  const finalReps = schedule.rungs.at(-1)!.reps;
  const totalRuns = (schedule.runs + 2 * finalReps) * o.scenarios.length;
  let done = 0;
  let bestLabel = "";
  const progress = (label: string) => o.onProgress?.(done, totalRuns, `${label}${bestLabel}`);

  const candidates: Candidate[] = design.map(({ id, vals }) => {
    const values = Object.fromEntries(space.parameters.map((p, j) => [p.path, vals[j]!]));
    return {
      id,
      values,
      status: "ok",
      reasons: [],
      reps: 0,
      perRep: [],
      perScenario: {},
      objective: Number.NaN,
      cost: costOf(space, values),
      constraints: [],
    };
  });
  // Resolve each candidate's configuration and scenarios once; invalid ones are recorded, never run.
  const resolved = new Map<number, { config: DispatchConfig; scenarios: Scenario[] }>();
  for (const c of candidates) {
    const entries = Object.entries(c.values);
    const configPart = entries.filter(([p]) => !p.startsWith("cluster."));
    const clusterPart = entries.filter(([p]) => p.startsWith("cluster."));
    const cfg = applyToConfig(o.base.config, configPart);
    const problems = cfg.ok ? [] : cfg.problems;
    const scenarios: Scenario[] = [];
    for (const s of o.scenarios) {
      const r = applyToScenario(s, clusterPart);
      if (r.ok) scenarios.push(r.scenario);
      else problems.push(...r.problems.map((p) => `${s.name}: ${p}`));
    }
    if (problems.length > 0 || !cfg.ok) {
      c.status = "invalid";
      c.reasons = problems;
    } else resolved.set(c.id, { config: { ...cfg.config, name: `candidate-${c.id}` }, scenarios });
  }
  const runsOf = new Map<number, RunResult[][]>(); // per candidate, per scenario index, runs in rep order
  const repSeed = (s: Scenario, r: number) => replicationSeed(o.seed ?? s.seed, r);

  /** Runs replications [from, to) of the given configurations in every scenario; returns the runs per id. */
  const evaluate = async (
    items: { id: number; config: DispatchConfig; scenarios: Scenario[] }[],
    from: number,
    to: number,
    label: string,
  ): Promise<Map<number, RunResult[][]>> => {
    const out = new Map<number, RunResult[][]>(items.map((it) => [it.id, o.scenarios.map(() => [])]));
    for (let si = 0; si < o.scenarios.length; si++) {
      // Candidates with the same cluster settings share one scenario object, so they run in one batch.
      const groups = new Map<string, typeof items>();
      for (const it of items) {
        const key = JSON.stringify(it.scenarios[si]!.definition);
        const g = groups.get(key);
        if (g) g.push(it);
        else groups.set(key, [it]);
      }
      for (let r = from; r < to; r++) {
        for (const group of groups.values()) {
          const scenario = group[0]!.scenarios[si]!;
          const results = await simulateParallel(scenario, {
            arms: group.map((it) => ({ name: it.config.name, role: "single" as const, config: it.config })),
            replications: 1,
            seed: repSeed(o.scenarios[si]!, r),
            jobs: o.jobs,
            command: ["rushhour", "tune"],
          });
          group.forEach((it, k) => {
            out.get(it.id)![si]!.push(results[k]!);
          });
          done += group.length;
          progress(label);
        }
      }
    }
    return out;
  };

  /** The combined objective per replication of one candidate's runs (NaN where the metric is missing). */
  const score = (runs: RunResult[][], values: Record<string, ParamValue>): Evaluation => {
    const reps = runs[0]!.length;
    const perScenario: Record<string, number[]> = {};
    o.scenarios.forEach((s, si) => {
      perScenario[s.name] = runs[si]!.map((r) => metricOf(space, observedOf([r])) ?? Number.NaN);
    });
    const cost = costOf(space, values);
    const perRep = Array.from(
      { length: reps },
      (_, r) =>
        combine(
          space,
          o.scenarios.map((s) => ({ name: s.name, value: perScenario[s.name]![r]! })),
        ) + cost,
    );
    return { perRep, perScenario };
  };

  const standing = (c: Candidate): Standing => ({ id: c.id, feasible: c.status === "ok", mean: c.objective });
  let prevReps = 0;
  let alive = candidates.filter((c) => c.status === "ok").map((c) => c.id);
  for (const [k, rung] of schedule.rungs.entries()) {
    if (k > 0) {
      const keep = survivors(
        candidates.filter((c) => alive.includes(c.id)).map(standing),
        rung.candidates,
        goal,
      );
      for (const c of candidates)
        if (alive.includes(c.id) && c.status === "ok" && !keep.includes(c.id)) c.status = "dropped";
      alive = keep;
    }
    if (alive.length === 0) break;
    const items = alive.map((id) => ({ id, ...resolved.get(id)! }));
    const got = await evaluate(items, prevReps, rung.reps, `rung ${k + 1}/${schedule.rungs.length}`);
    for (const id of alive) {
      const c = candidates.find((x) => x.id === id)!;
      const prev = runsOf.get(id) ?? o.scenarios.map(() => []);
      const all = prev.map((runs, si) => [...runs, ...got.get(id)![si]!]);
      runsOf.set(id, all);
      const ev = score(all, c.values);
      c.reps = rung.reps;
      c.perRep = ev.perRep;
      c.perScenario = ev.perScenario;
      c.objective = mean(ev.perRep);
      // Constraints on the merged replications of each scenario; the first scenario failing one names it.
      c.constraints = all.flatMap((runs, si) =>
        judgeObserved(space.constraints, observedOf(runs)).map((t) =>
          o.scenarios.length > 1 ? { ...t, metric: `${o.scenarios[si]!.name}: ${t.metric}` } : t,
        ),
      );
      const failed = c.constraints.filter((t) => !t.pass);
      if (failed.length > 0) {
        c.status = "infeasible";
        c.reasons = failed.map((t) => `${t.metric} ${t.expression}: observed ${t.observed ?? "nothing"}`);
      } else if (!Number.isFinite(c.objective)) {
        c.status = "infeasible";
        c.reasons = [`${space.objective.metric} ${space.objective.stat}: not observed (nothing delivered?)`];
      }
    }
    const leader = ranking(candidates.filter((c) => alive.includes(c.id)).map(standing), goal)[0];
    if (leader !== undefined) bestLabel = `; best so far #${leader.id}: ${fmt(leader.mean)}`;
    prevReps = rung.reps;
  }

  // The current configurations on the same seeds, at the finalists' replications.
  const armsRuns = await evaluate(
    [
      { id: -1, config: o.current.config, scenarios: o.scenarios },
      { id: -2, config: o.baseline.config, scenarios: o.scenarios },
    ],
    0,
    finalReps,
    "current configurations",
  );
  // The current configurations are priced at their own values of the parameters (the scenario's cluster).
  const armValues = (cfg: DispatchConfig) =>
    Object.fromEntries(space.parameters.map((p) => [p.path, baseValue(o.scenarios[0]!, cfg, p.path)]));
  const currentEv = score(armsRuns.get(-1)!, armValues(o.current.config));
  const baselineEv = score(armsRuns.get(-2)!, armValues(o.baseline.config));
  const finalists = finalistsOf(candidates, finalReps, goal);
  const paired = pairing(seed, finalReps, goal);
  const result: TuneResult = {
    scenarios: o.scenarios.map((s) => s.name),
    seed,
    space,
    base: o.base.name,
    schedule,
    ...(o.shard !== undefined ? { shard: o.shard, designSize: designValues.length } : {}),
    candidates,
    runs: done,
    fullRuns: (fullEvaluationRuns(ladder) + 2 * finalReps) * o.scenarios.length,
    wallSeconds: 0,
    arms: {
      current: { name: o.current.name, objective: mean(currentEv.perRep), perRep: currentEv.perRep },
      baseline: { name: o.baseline.name, objective: mean(baselineEv.perRep), perRep: baselineEv.perRep },
    },
    perScenario: [],
    sensitivity: [],
    notes,
  };
  if (Object.keys(space.objective.cost).length > 0)
    notes.push(
      `the current configurations are priced at their own parameter values (cost ${fmt(costOf(space, armValues(o.current.config)))} for ${o.current.name})`,
    );
  const top = finalists[0];
  if (top !== undefined) {
    const best = candidates.find((c) => c.id === top.id)!;
    const entries = Object.entries(best.values);
    const overrides = nestedOverride(entries.filter(([p]) => !p.startsWith("cluster.")));
    const { runnerUps, clearWinner } = runnerUpsOf(best, finalists, candidates, paired);
    result.best = {
      id: best.id,
      values: best.values,
      objective: best.objective,
      config: resolved.get(best.id)!.config,
      configFile: mergeJson(o.baseFile, overrides) as Record<string, unknown>,
      cluster: Object.fromEntries(entries.filter(([p]) => p.startsWith("cluster."))),
      vsCurrent: paired(o.current.name, result.arms.current.perRep, best.perRep),
      vsBaseline: paired(o.baseline.name, result.arms.baseline.perRep, best.perRep),
      runnerUps,
      clearWinner,
    };
    result.perScenario = o.scenarios.map((s) => {
      const b = best.perScenario[s.name]!;
      const cur = currentEv.perScenario[s.name]!;
      return {
        scenario: s.name,
        best: mean(b),
        current: mean(cur),
        baseline: mean(baselineEv.perScenario[s.name]!),
        vsCurrent: paired(o.current.name, cur, b),
      };
    });
  } else {
    notes.push(NO_RECOMMENDATION_NOTE);
  }
  const analysis = firstRungAnalysis(space, candidates);
  result.sensitivity = analysis.sensitivity;
  if (analysis.pareto !== undefined) result.pareto = analysis.pareto;
  result.wallSeconds = Math.round(performance.now() - t0) / 1000;
  return result;
}

/** A shard's note on the slice of the design it raced. */
function shardNote(shard: ExecutionSegment, ids: readonly number[], designSize: number): string {
  return (
    `shard ${shard.index}/${shard.count}: raced candidates ${ids.join(", ")} of ${designSize}; ` +
    "merge the shards with rushhour merge"
  );
}

/** Whether a note is a shard's note on its slice (a merge of the shards drops it: it holds every slice). */
export function isShardNote(note: string): boolean {
  return /^shard \d+\/\d+: raced candidates /.test(note);
}

/** The note of a result with nothing to recommend (the merge of tune shards words it the same). */
export const NO_RECOMMENDATION_NOTE =
  "no candidate met the constraints: nothing to recommend (see each candidate's reasons)";

/** A paired comparison of two arms' objectives per replication; `b` is the one judged, `a` its baseline. */
export type Pairing = (against: string, a: readonly number[], b: readonly number[]) => PairedResult;

/**
 * Paired comparisons on the race's common random numbers: replication r of every candidate and arm ran
 * replication seed r of `seed` (the first scenario's), so the bootstrap pairs them by it; "better" is in the
 * objective's direction.
 */
export function pairing(seed: number, reps: number, goal: "min" | "max"): Pairing {
  const seeds = Array.from({ length: reps }, (_, r) => replicationSeed(seed, r));
  const dir = goal === "min" ? "lower-is-better" : "higher-is-better";
  return (against, a, b) => {
    const n = Math.min(a.length, b.length);
    const est = bootstrapDelta(
      a.slice(0, n).map((value, r) => ({ seed: seeds[r]!, value })),
      b.slice(0, n).map((value, r) => ({ seed: seeds[r]!, value })),
    );
    return { against, estimate: est, verdict: verdictOf(est, dir) };
  };
}

/** The race's finalists: the feasible candidates that ran the last rung's replications, best first. */
export function finalistsOf(
  candidates: readonly Candidate[],
  finalReps: number,
  goal: "min" | "max",
): Standing[] {
  return ranking(
    candidates
      .filter((c) => c.status === "ok" && c.reps === finalReps)
      .map((c) => ({ id: c.id, feasible: true, mean: c.objective })),
    goal,
  );
}

/**
 * Every finalist but the best, each compared with the best on the same seeds, and whether the best is
 * significantly better than all of them (a clear winner rather than one of several alternatives).
 */
export function runnerUpsOf(
  best: Candidate,
  finalists: readonly Standing[],
  candidates: readonly Candidate[],
  paired: Pairing,
): { runnerUps: RunnerUp[]; clearWinner: boolean } {
  const runnerUps = finalists
    .filter((f) => f.id !== best.id)
    .map((f) => {
      const c = candidates.find((x) => x.id === f.id)!;
      // The runner-up is the baseline of the pair: a negative change means the best is lower.
      return { id: c.id, objective: c.objective, ...paired(`#${c.id}`, c.perRep, best.perRep) };
    });
  return { runnerUps, clearWinner: runnerUps.length > 0 && runnerUps.every((r) => r.verdict === "better") };
}

/** The candidates of the first rung that were raced (not invalid, not infeasible), with their runs. */
export function firstRungOf(candidates: readonly Candidate[]): Candidate[] {
  return candidates.filter((c) => (c.status === "ok" || c.status === "dropped") && c.perRep.length > 0);
}

/**
 * Each parameter's sensitivity and, with a cost, the Pareto front, on the first rung: every candidate there
 * ran replication 0 (the same seed), so their differences are the parameters' doing.
 */
export function firstRungAnalysis(
  space: TuneSpace,
  candidates: readonly Candidate[],
): { sensitivity: TuneResult["sensitivity"]; pareto?: ParetoPoint[] } {
  const firstRung = firstRungOf(candidates);
  const sensitivity = space.parameters.map((p) => {
    const points = firstRung.map((c) => ({ x: c.values[p.path]!, y: c.perRep[0]! }));
    return {
      path: p.path,
      index: firstOrderIndex(
        points.map((q) => q.x),
        points.map((q) => q.y),
      ),
      points,
    };
  });
  if (Object.keys(space.objective.cost).length === 0) return { sensitivity };
  const pareto = paretoFront(
    firstRung.map((c) => ({ id: c.id, objective: c.perRep[0]! - c.cost, cost: c.cost })),
  );
  return { sensitivity, pareto };
}

function baseValue(scenario: Scenario, config: DispatchConfig, path: string): ParamValue {
  const v = path.startsWith("cluster.") ? getPath(scenario, path) : getPath(config, path);
  return typeof v === "number" || typeof v === "string" || typeof v === "boolean" ? v : Number.NaN;
}

export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a >= 100 ? x.toFixed(0) : a >= 1 ? x.toFixed(2) : x.toPrecision(3);
}
