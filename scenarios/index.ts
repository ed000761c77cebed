// The scenario API, used by `rushhour sim` and `rushhour load`.
export {
  BUILTIN_SCENARIOS,
  defineScenario,
  loadScenario,
  resolveScenarioPath,
  type Scenario,
  ScenarioError,
  validateScenario,
} from "./define.ts";
export { generateDemandHistory, loadDemandHistory } from "./demand.ts";
export { DURATION_HINT, formatDuration, parseDuration, tryParseDuration } from "./duration.ts";
export type {
  ClusterSpec,
  DemandHistorySpec,
  FaultSpec,
  LatencySpec,
  ProviderSpec,
  ScenarioDefinition,
  ScenarioSpec,
  Traffic,
} from "./schema.ts";
export {
  type Aggregation,
  aggregationKey,
  judgeThresholds,
  type ObservedLookup,
  parseThreshold,
  THRESHOLD_METRICS,
  type Threshold,
} from "../results/thresholds.ts";
export { expectedArrivals, peakRate, rateAt, totalDuration } from "./traffic.ts";
