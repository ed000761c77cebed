// The configurations a scenario runs: its baseline and candidate (compare.baseline / compare.candidate,
// config files relative to the scenario file), or one named configuration (relative to the working folder).
// Resolved here once for sim, load, the suite and capacity.
import { resolve } from "node:path";
import type { ArmRole } from "../scenarios/arms.ts";
import type { Scenario } from "../scenarios/define.ts";
import type { DispatchConfig } from "../server/core/config.ts";
import { resolveConfig } from "../simulator/configs.ts";

export interface Arm {
  /** Preset name or config file as given. */
  name: string;
  role: ArmRole;
  /** The resolved configuration. */
  config: DispatchConfig;
}

function arm(name: string, role: ArmRole, dir: string): Arm {
  return { name, role, config: resolveConfig(name, dir) };
}

/**
 * The arms to run: `config` alone (role "single") when given, else the scenario's `roles` (default both,
 * baseline first). Throws ConfigError (simulator/configs.ts) for an unknown preset or a bad file.
 */
export function resolveArms(
  scenario: Scenario,
  config?: string,
  roles: readonly ("baseline" | "candidate")[] = ["baseline", "candidate"],
): Arm[] {
  if (config !== undefined) return [arm(config, "single", process.cwd())];
  const base = scenario.file ? resolve(scenario.file, "..") : process.cwd();
  return roles.map((role) => arm(scenario.compare[role], role, base));
}

/** The one configuration a command sizes or profiles: `config` when given (role "single"), else the candidate. */
export function resolveArm(scenario: Scenario, config?: string): Arm {
  if (config !== undefined) return arm(config, "single", process.cwd());
  const base = scenario.file ? resolve(scenario.file, "..") : process.cwd();
  return arm(scenario.compare.candidate, "candidate", base);
}
