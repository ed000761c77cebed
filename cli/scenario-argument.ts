// A command's <scenario> argument: a built-in name or a scenario file, loaded and validated; a bad one is a
// usage error (exit 2) that lists every problem. Every command that takes a scenario reads it here.
import { loadScenario, type Scenario, ScenarioError } from "../scenarios/define.ts";
import { UsageError } from "./command.ts";

export async function scenarioArgument(pathOrName: string): Promise<Scenario> {
  try {
    return await loadScenario(pathOrName);
  } catch (err) {
    if (err instanceof ScenarioError) throw new UsageError(err.message);
    throw err;
  }
}
