// A command's <scenario> argument and its --config: a built-in name or a scenario file, loaded and validated,
// and the configuration to run; a bad one is a usage error (exit 2) that lists every problem. Every command
// that takes a scenario reads it here.
import { loadScenario, type Scenario, ScenarioError } from "../scenarios/define.ts";
import { ConfigError } from "../simulator/configs.ts";
import { type Arm, resolveArm } from "../workflows/arms.ts";
import { UsageError } from "./command.ts";

export async function scenarioArgument(pathOrName: string): Promise<Scenario> {
  try {
    return await loadScenario(pathOrName);
  } catch (err) {
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
