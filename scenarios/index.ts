// The scenario API, used by `rushhour sim` and `rushhour load`.

export {
  type Aggregation,
  aggregationKey,
  judgeThresholds,
  type ObservedLookup,
  parseThreshold,
  THRESHOLD_METRICS,
  type Threshold,
} from "../results/thresholds.ts";
export { DURATION_HINT, formatDuration, parseDuration, tryParseDuration } from "../traffic/duration.ts";
export { expectedArrivals, peakRate, rateAt, totalDuration } from "../traffic/profile.ts";
export {
  applyCalibration,
  CalibrationProfileError,
  type CalibrationRef,
  loadCalibrationProfile,
  parseCalibrationProfile,
} from "./calibration-apply.ts";
export {
  CALIBRATION_PROFILE_VERSION,
  type CalibrationProfile,
  CalibrationProfileSchema,
} from "./calibration-profile.ts";
export {
  BUILTIN_SCENARIOS,
  defineScenario,
  loadScenario,
  resolveScenarioPath,
  type Scenario,
  ScenarioError,
  validateScenario,
  withCalibrationFile,
} from "./define.ts";
export { generateDemandHistory, loadDemandHistory } from "./demand.ts";
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
