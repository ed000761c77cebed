// replay: the orders of an order log at their recorded times (traffic/replay/timeline.ts), an open-model
// plan whose iteration i is log order i. The plan also hands out order i's SKU and tier, so the live driver
// sends what the log holds (not the scenario's SKU mix), as the simulator does.

import { ReplayTimeline } from "../replay/timeline.ts";
import type { ExecutorConfig } from "../schema.ts";
import { defaultVUs } from "./constant-arrival-rate.ts";
import { DEFAULT_GRACEFUL_STOP_MS, type OpenPlan } from "./types.ts";

export type ReplayConfig = Extract<ExecutorConfig, { executor: "replay" }>;

export function plan(config: ReplayConfig): OpenPlan {
  // The timeline opens the log lazily (at the first order asked for); the scan behind its shape is shared.
  let timeline: ReplayTimeline | null = null;
  const open = () => {
    timeline ??= new ReplayTimeline(config);
    return timeline;
  };
  const shape = open().shape;
  const defaults = defaultVUs(shape.peakRatePerSec);
  const preAllocatedVUs = config.preAllocatedVUs ?? defaults.preAllocatedVUs;
  return {
    model: "open",
    durationMs: shape.durationMs,
    count: shape.count,
    startTimeMs: (i) => open().at(i).atMs,
    order: (i) => open().at(i),
    peakRatePerSec: shape.peakRatePerSec,
    preAllocatedVUs,
    maxVUs: config.maxVUs ?? Math.max(preAllocatedVUs, defaults.maxVUs),
    gracefulStopMs: config.gracefulStop ?? DEFAULT_GRACEFUL_STOP_MS,
  };
}
