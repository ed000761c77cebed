// defineScenario / validateScenario / loadScenario: the one scenario format behind `sim` and `load`
// (docs/ARCHITECTURE.md rule S1). A scenario file is a TypeScript module whose default export is
// `defineScenario({...})`; loading validates it and reports every problem at once, with its path.
import { existsSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { z } from "zod";
import { inputShapeViolations } from "../server/core/input-shape.ts";
import { formatIssuePath } from "../server/core/issue-path.ts";
import {
  applyCalibration,
  CalibrationProfileError,
  type CalibrationRef,
  loadCalibrationProfile,
} from "./calibration-apply.ts";
import { crossCheck } from "./cross-check.ts";
import { oneLine } from "./error-line.ts";
import { replayLogProblems, withResolvedLog } from "./replay-files.ts";
import { type ScenarioDefinition, ScenarioSchema, type ScenarioSpec } from "./schema.ts";

/** A validated scenario (durations in ms, defaults filled) with what it was built from. */
export type Scenario = ScenarioSpec & {
  /** The scenario object exactly as written (for RunResult.scenario.definition). */
  definition: ScenarioDefinition;
  /** The module it was loaded from, or null when validated from an object. */
  file: string | null;
  /** The calibration profile applied (cluster.profile), absent when the costs are the typed-in ones. */
  calibration?: CalibrationRef;
  /**
   * With a profile applied: the providers and services as written, which a live stack's farm serves
   * (liveServices below). The profile's latencies are how the server saw them, its own waits included.
   */
  deployed?: DeployedServices;
};

/** The providers and the risk and notification services of a scenario. */
export type DeployedServices = Pick<ScenarioSpec, "providers" | "risk" | "notification">;

/**
 * What a live stack's provider farm serves: the scenario's providers and services as written, never a
 * calibration profile's measurements of them. A profile measures the latency the server observed (the
 * farm's, plus the loops and the network on the way); a farm serving that would add those waits a second
 * time, and the live side would no longer be the system the profile measured (at 30% of promo-peak's knee
 * a calibrated stack read P50 97-106 ms against 82-87 ms for the scenario's own: README "How far to trust
 * the simulator").
 */
export function liveServices(scenario: Scenario): DeployedServices {
  return scenario.deployed ?? scenario;
}

/** Scenario files shipped with rushhour, by name. */
export const BUILTIN_SCENARIOS = [
  "promo-peak",
  "provider-outage",
  "vip-surge",
  "hot-sku",
  "seed-replay",
  "risk-outage",
  "slow-notify",
  "promo-replay",
] as const;

const HERE = dirname(fileURLToPath(import.meta.url));

/** Identity with types: gives scenario authors completion and type errors; validation happens on load. */
export function defineScenario(definition: ScenarioDefinition): ScenarioDefinition {
  return definition;
}

export class ScenarioError extends Error {
  override name = "ScenarioError";
  constructor(
    message: string,
    /** Every problem as "path: message". */
    readonly problems: string[],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function issuesToProblems(issues: readonly z.core.$ZodIssue[]): string[] {
  const problems: string[] = [];
  for (const issue of issues) {
    // A union reports each branch's issues under `errors`; the branch-level message we set is clearer.
    problems.push(`${formatIssuePath(issue.path, "(scenario)")}: ${issue.message}`);
  }
  return problems;
}

/** Validates a scenario object; throws one ScenarioError listing every problem. */
export function validateScenario(definition: unknown, file: string | null = null): Scenario {
  const where = file ?? "scenario";
  // Reserved keys, too-deep nesting, oversized lists: before the schema walks into them.
  const shape = inputShapeViolations(definition, "(scenario)");
  if (shape.length > 0) {
    const problems = shape.map((v) => `${v.path}: ${v.message}`);
    throw new ScenarioError(`${where} is invalid:\n  ${problems.join("\n  ")}`, problems);
  }
  const parsed = ScenarioSchema.safeParse(definition);
  const problems = parsed.success ? [] : issuesToProblems(parsed.error.issues);
  for (const p of crossCheck(definition))
    problems.push(`${formatIssuePath(p.path, "(scenario)")}: ${p.message}`);
  if (!parsed.success || problems.length > 0) {
    throw new ScenarioError(
      `${where} is invalid (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n  ${problems.join("\n  ")}`,
      problems,
    );
  }
  const spec = parsed.data!;
  spec.traffic = withResolvedLog(spec.traffic, file);
  const logProblems = replayLogProblems(spec.traffic, "traffic");
  for (const role of ["baseline", "candidate"] as const) {
    const override = spec.compare.overrides[role];
    if (override?.traffic === undefined) continue;
    override.traffic = withResolvedLog(override.traffic, file);
    logProblems.push(...replayLogProblems(override.traffic, `compare.overrides.${role}.traffic`));
  }
  if (logProblems.length > 0) {
    throw new ScenarioError(`${where} is invalid:\n  ${logProblems.join("\n  ")}`, logProblems);
  }
  const scenario: Scenario = { ...spec, definition: definition as ScenarioDefinition, file };
  if (spec.cluster.profile === undefined) return scenario;
  // A profile path is relative to the scenario file (the working folder for a scenario given as an object).
  const profileFile = resolve(file === null ? process.cwd() : dirname(file), spec.cluster.profile);
  try {
    const { profile, ref } = loadCalibrationProfile(profileFile);
    const deployed: DeployedServices = {
      providers: scenario.providers,
      risk: scenario.risk,
      notification: scenario.notification,
    };
    return { ...applyCalibration(scenario, profile), calibration: ref, deployed };
  } catch (err) {
    if (!(err instanceof CalibrationProfileError)) throw err;
    const problem = `cluster.profile: ${err.message}`;
    throw new ScenarioError(`${where} is invalid (1 problem):\n  ${problem}`, [problem], { cause: err });
  }
}

/**
 * The scenario run with another calibration profile (`--calibration FILE`): its definition names the
 * profile's absolute path as cluster.profile, so a worker thread that validates the definition again
 * applies the same profile, and the RunResult's definition says which one ran.
 */
export function withCalibrationFile(scenario: Scenario, profileFile: string, cwd = process.cwd()): Scenario {
  const def = scenario.definition;
  const definition = { ...def, cluster: { ...def.cluster, profile: resolve(cwd, profileFile) } };
  return validateScenario(definition, scenario.file);
}

/**
 * The scenario on a deployment with or without a backup behind the primary (cluster.backupDeployed): a
 * twin's simulated side runs the system its live side runs, and a local stack starts a backup only when
 * the scenario deploys one (workflows/scenario-stack.ts).
 */
export function withBackupDeployed(scenario: Scenario, deployed: boolean): Scenario {
  if (scenario.cluster.backupDeployed === deployed) return scenario;
  // The parsed scenario itself, not its definition validated again: a scenario reduced to a steady rate
  // (workflows/steady.ts) keeps its own traffic. The definition records it for the RunResult.
  const def = scenario.definition;
  return {
    ...scenario,
    cluster: { ...scenario.cluster, backupDeployed: deployed },
    definition: { ...def, cluster: { ...def.cluster, backupDeployed: deployed } },
  };
}

/** Resolves a built-in name ("promo-peak") or a path to a scenario module file. */
export function resolveScenarioPath(pathOrName: string, cwd = process.cwd()): string {
  if ((BUILTIN_SCENARIOS as readonly string[]).includes(pathOrName)) return resolve(HERE, `${pathOrName}.ts`);
  const candidates = [pathOrName, `${pathOrName}.ts`].map((p) => (isAbsolute(p) ? p : resolve(cwd, p)));
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) {
    throw new ScenarioError(
      `no scenario "${pathOrName}": not a file, and not a built-in (${BUILTIN_SCENARIOS.join(", ")})`,
      [`(scenario): not found: ${pathOrName}`],
    );
  }
  return found;
}

/** Imports a scenario module (built-in name or path), validates its default export and returns it. */
/**
 * Imports a scenario module. A scenario file outside this package (a user's own folder, with no
 * package.json saying "type": "module") is CommonJS to Node, and its import of defineScenario from
 * this ESM package fails as a require() cycle; tsx's tsImport loads it in its own namespace instead.
 */
async function importScenarioModule(file: string): Promise<{ default?: unknown }> {
  const url = pathToFileURL(file).href;
  try {
    return (await import(url)) as { default?: unknown };
  } catch (first) {
    const { tsImport } = await import("tsx/esm/api");
    let mod: { default?: unknown };
    try {
      mod = (await tsImport(url, import.meta.url)) as { default?: unknown };
    } catch (second) {
      // The require() cycle says only that the file is CommonJS here; tsImport's error is the file's own
      // (a throw on import, a syntax error).
      throw (first as { code?: unknown }).code === "ERR_REQUIRE_CYCLE_MODULE" ? second : first;
    }
    // CommonJS interop: module.exports arrives as the default export, holding `default` itself.
    const inner = mod.default as { default?: unknown; name?: unknown } | undefined;
    return inner && typeof inner === "object" && "default" in inner && !("name" in inner)
      ? { default: inner.default }
      : mod;
  }
}

export async function loadScenario(pathOrName: string, cwd = process.cwd()): Promise<Scenario> {
  const file = resolveScenarioPath(pathOrName, cwd);
  let mod: { default?: unknown };
  try {
    mod = await importScenarioModule(file);
  } catch (err) {
    const why = oneLine(err);
    throw new ScenarioError(`${file} could not be loaded: ${why}`, [`(scenario): ${why}`], { cause: err });
  }
  if (mod.default === undefined) {
    throw new ScenarioError(`${file} has no default export (export default defineScenario({...}))`, [
      "(scenario): no default export",
    ]);
  }
  try {
    return validateScenario(mod.default, file);
  } catch (err) {
    if (err instanceof ScenarioError) throw err;
    // The scenario's own code threw while it was read (a getter, a Proxy).
    const why = oneLine(err);
    throw new ScenarioError(`${file}: reading the scenario threw: ${why}`, [`(scenario): ${why}`], {
      cause: err,
    });
  }
}
