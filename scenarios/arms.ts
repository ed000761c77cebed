// A scenario's arms: the baseline and candidate sides of its comparison (or a single run), and what each
// side runs. Resolved here once for the simulator, the live driver and the suite.
import type { Scenario } from "./define.ts";
import type { ClusterSpec, Traffic } from "./schema.ts";

export type ArmRole = "baseline" | "candidate" | "single";

/** The traffic and cluster of one side: the role's override (compare.overrides) or the scenario's own. */
export function armInputs(scenario: Scenario, role: ArmRole): { traffic: Traffic; cluster: ClusterSpec } {
  const override = role === "single" ? undefined : scenario.compare.overrides[role];
  return { traffic: override?.traffic ?? scenario.traffic, cluster: override?.cluster ?? scenario.cluster };
}
