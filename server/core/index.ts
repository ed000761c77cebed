// The dispatch core's public surface: everything the simulator, the live server and the reports use.
export { type CanaryDecision, type CanaryVerdict, inCanaryShare, judgeCanary } from "./canary.ts";
export { backoffDelay, RetryBudget } from "./compensation.ts";
export {
  configInputProblems,
  type DispatchConfig,
  mergeConfig,
  type OrderPolicy,
  orderPolicyOf,
  PRESETS,
  presetConfig,
  totalWorkers,
  validateCanaryCandidate,
  validateConfig,
  withWorkers,
} from "./config.ts";
export { createDispatcher, type Dispatcher, type DispatcherOptions } from "./dispatcher.ts";
export type { Environment, RandomStream, TimerHandle } from "./env.ts";
export { HoltWinters } from "./forecast.ts";
export { isLegalTransition, LEGAL_TRANSITIONS } from "./health.ts";
export { HotSkuTracker } from "./hotspot.ts";
export {
  IllegalOrderTransitionError,
  isLegalOrderTransition,
  isTerminal,
  ORDER_TRANSITIONS,
} from "./lifecycle.ts";
export type {
  Card,
  CardStorePort,
  ClaimResult,
  IssueOutcome,
  IssueRequest,
  OverflowPort,
  ProviderPort,
  StoreResult,
} from "./ports.ts";
export { hashString, RandomStreams, Xoshiro128 } from "./random.ts";
export * from "./stats/index.ts";
export * from "./types.ts";
