// `rushhour tune --confirm`: the recommended and the current configuration run live, one after the other, each
// on a local stack of its own (the live workflow, as `rushhour load` runs), at the scenario's live duration
// scale; then whether the live difference agrees with the simulated one in direction and roughly in size
// (reports/tuning/analysis.ts agreement). Cluster settings (cores, workers) are the modelled cluster's and
// cannot change on this machine, so only configuration fields are confirmed.
import { agreement } from "../reports/tuning/analysis.ts";
import type { Scenario } from "../scenarios/define.ts";
import type { DispatchConfig } from "../server/core/config.ts";
import type { Arm } from "./arms.ts";
import { type LiveRunner, liveRunner } from "./suite.ts";
import { metricOf, observedOf } from "./tune.ts";
import type { LiveConfirmationResult } from "./tune-report.ts";
import type { TuneSpace } from "./tune-space.ts";

export interface ConfirmOptions {
  current: Arm;
  recommended: DispatchConfig;
  /** The simulated objective (metric only, without cost) of each, on the first scenario. */
  simulated: { current: number; recommended: number };
  durationScale?: number;
  /** How to run live (default: the live workflow on a local stack); tests pass a shorter one. */
  live?: (arm: Arm) => LiveRunner;
  warn?: (line: string) => void;
}

export async function confirmTune(
  scenario: Scenario,
  space: TuneSpace,
  o: ConfirmOptions,
): Promise<LiveConfirmationResult> {
  const scale = o.durationScale ?? scenario.live?.durationScale ?? 1;
  const runner =
    o.live ?? ((arm: Arm) => liveRunner({ arm, durationScale: scale, ...(o.warn ? { warn: o.warn } : {}) }));
  const measure = async (arm: Arm) => {
    const [r] = await runner(arm)(scenario);
    const v = metricOf(space, observedOf([r!]));
    if (v === null)
      throw new Error(
        `live run of ${arm.name}: ${space.objective.metric} ${space.objective.stat} not observed`,
      );
    return v;
  };
  const current = await measure({ ...o.current, role: "single" });
  const recommended = await measure({
    name: "recommended",
    role: "single",
    config: o.recommended,
  });
  return {
    current,
    recommended,
    simulated: o.simulated,
    agreement: agreement(o.simulated, { current, recommended }),
    durationScale: scale,
  };
}
