// A command's <scenario> argument and its --config: a built-in name or a scenario file, loaded and validated,
// and the configuration to run; a bad one is a usage error (exit 2) that lists every problem. Every command
// that takes a scenario reads it here.
import { CalibrationProfileError } from "../scenarios/calibration-apply.ts";
import { loadScenario, type Scenario, ScenarioError, withCalibrationFile } from "../scenarios/define.ts";
import { ConfigError } from "../simulator/configs.ts";
import { type Arm, resolveArm } from "../workflows/arms.ts";
import { UsageError } from "./command.ts";

/** The scenario, with `--calibration FILE` (a calibration profile) applied when given. */
export async function scenarioArgument(pathOrName: string, calibration?: string): Promise<Scenario> {
  let scenario: Scenario;
  try {
    scenario = await loadScenario(pathOrName);
  } catch (err) {
    if (err instanceof ScenarioError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
  return calibration === undefined ? scenario : calibratedScenario(scenario, calibration);
}

/** The scenario with `--calibration FILE` applied; a bad profile is a usage error on one line (flag, file, field). */
export function calibratedScenario(scenario: Scenario, calibration: string): Scenario {
  try {
    return withCalibrationFile(scenario, calibration);
  } catch (err) {
    if (err instanceof ScenarioError && err.cause instanceof CalibrationProfileError)
      throw new UsageError(`--calibration ${err.cause.message}`, { cause: err });
    if (err instanceof ScenarioError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
}

/** --config (relative to the working folder, as in sim and load), else the scenario's candidate. */
export function configArgument(scenario: Scenario, config: string | undefined): Arm {
  try {
    return resolveArm(scenario, config);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
}
