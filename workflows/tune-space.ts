// The search space of `rushhour tune`: which configuration fields to vary (by dotted path, a range or a list),
// the constraints a candidate must meet (threshold expressions, as a scenario writes them), and the one
// objective to minimise (or maximise). Validated with zod, then checked against the configuration and the
// scenario it will be applied to, so a bad path, an empty range or an unknown metric is refused before any
// simulation runs. README.md ("Tuning") documents the format.
import { z } from "zod";
import { parseThreshold, THRESHOLD_METRICS, ThresholdSyntaxError } from "../results/thresholds.ts";
import { type Scenario, ScenarioError, validateScenario } from "../scenarios/define.ts";
import {
  configInputProblems,
  type DispatchConfig,
  mergeConfig,
  mergeJson,
  validateConfig,
} from "../server/core/config.ts";
import { formatIssuePath } from "../server/core/issue-path.ts";

export class TuneSpaceError extends Error {
  override name = "TuneSpaceError";
  constructor(
    message: string,
    readonly problems: string[],
  ) {
    super(message);
  }
}

const scalar = z.union([z.number().finite(), z.string(), z.boolean()]);
const parameterSchema = z.union([
  z.strictObject({
    range: z.tuple([z.number().finite(), z.number().finite()]),
    /** Grid step: candidates take lo + k * step only (integer fields default to 1). */
    step: z.number().positive().finite().optional(),
  }),
  z.strictObject({ values: z.array(scalar).min(1).max(100) }),
]);

export const SpaceSchema = z.strictObject({
  /** The configuration candidates start from: a preset or a config file (default: the scenario's candidate). */
  extends: z.string().min(1).optional(),
  /** Dotted configuration paths ("routing.highWatermark"), or "cluster.<primary|backup>.<workers|cores>". */
  parameters: z.record(z.string(), parameterSchema),
  /** metric -> threshold expressions, judged on each candidate's merged replications. */
  constraints: z.record(z.string(), z.array(z.string()).min(1)).default({}),
  objective: z
    .strictObject({
      metric: z.string().default("latency"),
      /** An aggregation as thresholds write it: "p(99)", "avg", "max", "rate"... */
      stat: z.string().default("p(99)"),
      /** "min" (default) or "max" (throughput, goodput). */
      goal: z.enum(["min", "max"]).optional(),
      /** Price per unit of a parameter, added to the objective (in its unit): P99 ms + 50 x backup cores. */
      cost: z.record(z.string(), z.number().finite()).optional(),
      /** Across several scenarios (--scenarios): the worst one's objective, or a weighted sum. */
      combine: z.enum(["worst", "weighted"]).default("worst"),
      weights: z.record(z.string(), z.number().positive().finite()).optional(),
    })
    .default({ metric: "latency", stat: "p(99)", combine: "worst" }),
});
export type SpaceInput = z.input<typeof SpaceSchema>;

export type ParamValue = number | string | boolean;

export interface Parameter {
  path: string;
  /** "config": a field of the dispatch configuration; "cluster": the scenario's cluster (workers, cores). */
  target: "config" | "cluster";
  /** The grid the search draws from, in order; continuous ranges have none. */
  grid?: ParamValue[];
  /** A continuous range (no step, non-integer field). */
  range?: [number, number];
  /** The search's resolution on this parameter: its step, or 1/100 of a continuous range. */
  resolution: number;
  integer: boolean;
}

export interface TuneSpace {
  parameters: Parameter[];
  constraints: Record<string, string[]>;
  objective: {
    metric: string;
    stat: string;
    goal: "min" | "max";
    cost: Record<string, number>;
    combine: "worst" | "weighted";
    weights: Record<string, number>;
  };
  extends?: string;
}

/** Metrics whose value is higher-is-better by default. */
const HIGHER_IS_BETTER = new Set(["throughput", "goodput"]);
const CLUSTER_PATH = /^cluster\.(primary|backup)\.(workers|cores)$/;

/** Checks a space file's content against the base configuration and the scenarios; throws TuneSpaceError. */
export function checkSpace(
  raw: unknown,
  config: DispatchConfig,
  scenarios: readonly Scenario[],
  where = "space",
): TuneSpace {
  const shape = configInputProblems(raw).map((v) => `${v.path}: ${v.message}`);
  const fail = (problems: string[]) =>
    new TuneSpaceError(
      problems.length === 1
        ? `${where}: ${problems[0]}`
        : `${where} is invalid (${problems.length} problems):\n  ${problems.join("\n  ")}`,
      problems,
    );
  if (shape.length > 0) throw fail(shape);
  const parsed = SpaceSchema.safeParse(raw);
  if (!parsed.success) {
    throw fail(parsed.error.issues.map((i) => `${formatIssuePath(i.path, "(space)")}: ${i.message}`));
  }
  const s = parsed.data;
  const problems: string[] = [];
  const parameters: Parameter[] = [];
  const entries = Object.entries(s.parameters);
  if (entries.length === 0) problems.push("parameters: give at least one parameter to tune");
  for (const [path, spec] of entries) {
    const at = `parameters.${path}`;
    const cluster = CLUSTER_PATH.test(path);
    if (!cluster && !isLeaf(config, path)) {
      problems.push(
        `${at}: no such configuration field (a dotted path such as routing.highWatermark, or cluster.primary.workers)`,
      );
      continue;
    }
    const probe = (v: ParamValue) =>
      cluster ? clusterProblem(scenarios, path, v) : configProblem(config, path, v);
    if ("range" in spec) {
      const [lo, hi] = spec.range;
      if (!(hi > lo)) {
        problems.push(`${at}.range: empty range [${lo}, ${hi}] (the upper end must exceed the lower)`);
        continue;
      }
      const current = cluster ? undefined : getPath(config, path);
      if (!cluster && typeof current !== "number") {
        problems.push(`${at}.range: the field holds a ${typeof current}, not a number: use "values"`);
        continue;
      }
      const bad = probe(lo) ?? probe(hi);
      if (bad !== undefined) {
        problems.push(`${at}.range: ${bad}`);
        continue;
      }
      // An integer field refuses a half value with zod's "expected int" (the same schema as any config).
      const integer = /int/i.test(probe(lo + 0.5) ?? "");
      const step = spec.step ?? (integer ? 1 : undefined);
      if (integer && step !== undefined && !Number.isInteger(step)) {
        problems.push(`${at}.step: the field is an integer, so the step must be one, got ${step}`);
        continue;
      }
      if (step === undefined) {
        parameters.push({
          path,
          target: cluster ? "cluster" : "config",
          range: [lo, hi],
          resolution: (hi - lo) / 100,
          integer,
        });
      } else {
        const n = Math.floor((hi - lo) / step + 1e-9) + 1;
        if (n > 10_000) {
          problems.push(`${at}.step: ${n} grid points; use a coarser step (at most 10,000)`);
          continue;
        }
        const grid = Array.from({ length: n }, (_, k) => roundTo(lo + k * step, step));
        parameters.push({ path, target: cluster ? "cluster" : "config", grid, resolution: step, integer });
      }
    } else {
      const badValues = spec.values
        .map((v, i) => [i, probe(v)] as const)
        .filter(([, p]) => p !== undefined)
        .map(([i, p]) => `${at}.values[${i}]: ${p}`);
      if (badValues.length > 0) {
        problems.push(...badValues);
        continue;
      }
      const numeric = spec.values.every((v) => typeof v === "number");
      const grid = numeric
        ? [...new Set(spec.values as number[])].sort((a, b) => a - b)
        : [...new Set(spec.values)];
      parameters.push({
        path,
        target: cluster ? "cluster" : "config",
        grid,
        resolution: numeric && grid.length > 1 ? minGap(grid as number[]) : 0,
        integer: numeric && (grid as number[]).every(Number.isInteger),
      });
    }
  }
  problems.push(...metricProblems("objective", s.objective.metric, s.objective.stat));
  for (const [metric, exprs] of Object.entries(s.constraints)) {
    exprs.forEach((e, i) => {
      try {
        const t = parseThreshold(e);
        if (!(metric in THRESHOLD_METRICS)) problems.push(unknownMetric(`constraints.${metric}`, metric));
        else if (t.aggregation.kind === "p" && !metric.startsWith("latency"))
          problems.push(`constraints.${metric}[${i}]: ${metric} has no percentiles`);
      } catch (err) {
        if (err instanceof ThresholdSyntaxError) problems.push(`constraints.${metric}[${i}]: ${err.message}`);
        else throw err;
      }
    });
  }
  const cost = s.objective.cost ?? {};
  for (const path of Object.keys(cost)) {
    if (!entries.some(([p]) => p === path))
      problems.push(`objective.cost.${path}: not a tuned parameter (a cost is a price per unit of one)`);
    else if (
      !parameters.find((p) => p.path === path)?.grid?.every((v) => typeof v === "number") &&
      parameters.find((p) => p.path === path)?.range === undefined
    )
      problems.push(`objective.cost.${path}: the parameter is not numeric`);
  }
  const goal = s.objective.goal ?? (HIGHER_IS_BETTER.has(s.objective.metric) ? "max" : "min");
  if (goal === "max" && Object.keys(cost).length > 0)
    problems.push("objective.cost: a cost is added to a minimised objective; this one is maximised");
  const names = scenarios.map((x) => x.name);
  for (const name of Object.keys(s.objective.weights ?? {}))
    if (!names.includes(name))
      problems.push(`objective.weights.${name}: not one of the scenarios (${names.join(", ")})`);
  if (problems.length > 0) throw fail(problems);
  return {
    parameters,
    constraints: s.constraints,
    objective: {
      metric: s.objective.metric,
      stat: s.objective.stat,
      goal,
      cost,
      combine: s.objective.combine,
      weights: Object.fromEntries(names.map((n) => [n, s.objective.weights?.[n] ?? 1])),
    },
    ...(s.extends !== undefined ? { extends: s.extends } : {}),
  };
}

/** The raw "extends" of a space file, read before the configuration it names is resolved. */
export function spaceExtends(raw: unknown): string | undefined {
  const e = (raw as { extends?: unknown } | null)?.extends;
  return typeof e === "string" ? e : undefined;
}

function metricProblems(at: string, metric: string, stat: string): string[] {
  if (!(metric in THRESHOLD_METRICS)) return [unknownMetric(`${at}.metric`, metric)];
  try {
    const t = parseThreshold(`${stat}<0`);
    if (t.aggregation.kind === "p" && !metric.startsWith("latency"))
      return [
        `${at}.stat: ${metric} has no percentiles (use ${THRESHOLD_METRICS[metric as keyof typeof THRESHOLD_METRICS]})`,
      ];
  } catch {
    return [`${at}.stat: "${stat}" is not an aggregation (p(99), avg, med, min, max, rate, count)`];
  }
  return [];
}

function unknownMetric(at: string, metric: string): string {
  return `${at}: unknown metric "${metric}" (one of ${Object.keys(THRESHOLD_METRICS).join(", ")})`;
}

export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split(".")) {
    if (typeof cur !== "object" || cur === null || !Object.hasOwn(cur, key)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function isLeaf(config: DispatchConfig, path: string): boolean {
  const v = getPath(config, path);
  return v !== undefined && (typeof v !== "object" || v === null);
}

/** `{a: {b: v}}` for "a.b": the partial override one parameter makes. */
export function nestedOverride(
  values: ReadonlyArray<readonly [string, ParamValue]>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [path, v] of values) {
    const keys = path.split(".");
    let cur = out;
    for (const k of keys.slice(0, -1)) {
      if (typeof cur[k] !== "object" || cur[k] === null) cur[k] = {};
      cur = cur[k] as Record<string, unknown>;
    }
    cur[keys.at(-1)!] = v;
  }
  return out;
}

/** The configuration with some fields set, validated by the one config schema; the problems by path otherwise. */
export function applyToConfig(
  config: DispatchConfig,
  values: ReadonlyArray<readonly [string, ParamValue]>,
): { ok: true; config: DispatchConfig } | { ok: false; problems: string[] } {
  const r = validateConfig(mergeConfig(config, nestedOverride(values)));
  return r.ok ? r : { ok: false, problems: r.errors.map((e) => `${e.path}: ${e.message}`) };
}

/** The scenario with some cluster fields set (cluster.primary.cores...), validated again as any scenario. */
export function applyToScenario(
  scenario: Scenario,
  values: ReadonlyArray<readonly [string, ParamValue]>,
): { ok: true; scenario: Scenario } | { ok: false; problems: string[] } {
  if (values.length === 0) return { ok: true, scenario };
  const def = scenario.definition as Record<string, unknown>;
  const over = nestedOverride(values);
  const definition = { ...def, cluster: mergeJson(def.cluster, over.cluster) };
  try {
    return { ok: true, scenario: validateScenario(definition, scenario.file) };
  } catch (err) {
    if (err instanceof ScenarioError) return { ok: false, problems: err.problems };
    throw err;
  }
}

function configProblem(config: DispatchConfig, path: string, v: ParamValue): string | undefined {
  const r = validateConfig(mergeConfig(config, nestedOverride([[path, v]])));
  if (r.ok) return undefined;
  const mine = r.errors.find((e) => e.path === path);
  return mine === undefined ? undefined : `${JSON.stringify(v)}: ${mine.message}`;
}

function clusterProblem(scenarios: readonly Scenario[], path: string, v: ParamValue): string | undefined {
  for (const s of scenarios) {
    const r = applyToScenario(s, [[path, v]]);
    if (!r.ok) {
      const mine = r.problems.find((p) => p.startsWith(`${path}:`));
      if (mine !== undefined) return `${JSON.stringify(v)}: ${mine.slice(path.length + 2)}`;
    }
  }
  return undefined;
}

function roundTo(x: number, step: number): number {
  const digits = Math.max(0, Math.min(12, Math.ceil(-Math.log10(step)) + 2));
  return Number(x.toFixed(digits));
}

function minGap(sorted: readonly number[]): number {
  let g = Number.POSITIVE_INFINITY;
  for (let i = 1; i < sorted.length; i++) g = Math.min(g, sorted[i]! - sorted[i - 1]!);
  return g;
}
