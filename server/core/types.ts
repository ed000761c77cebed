// The core's vocabulary, shared by the simulator, the live server and the reports.
// Unions are tagged by `kind` (events) or are string literals matching the proto enums.

export type Tier = "standard" | "vip";
export type OrderState =
  | "ACCEPTED"
  | "QUEUED"
  | "ALLOCATING"
  | "ISSUING"
  | "DELIVERED"
  | "RETRYING"
  | "FAILED"
  | "REJECTED"
  /** Terminal: the risk service denied the order; its card was released (failureReason says why). */
  | "DENIED"
  /** Terminal: held for manual risk review; its card stays held by the order (a person decides). */
  | "REVIEW";
export type Lane = "vip" | "default" | "overflow";
export type ClusterName = "primary" | "backup";
export type HealthState = "HEALTHY" | "SUB_HEALTHY" | "ISOLATED" | "PROBING";

/** End states whose order gives its card back (a card still held by one is stranded). */
export const CARD_RELEASED_STATES: ReadonlySet<OrderState> = new Set(["FAILED", "REJECTED", "DENIED"]);

export const TERMINAL_STATES: ReadonlySet<OrderState> = new Set([
  "DELIVERED",
  "FAILED",
  "REJECTED",
  "DENIED",
  "REVIEW",
]);

export interface OrderInput {
  orderId: string;
  sku: string;
  tier: Tier;
  /** Attempts already made (a recovered order from the ledger); 0 for a new order. */
  attempts?: number;
  /** Card already claimed by this order before a restart, if any. */
  cardId?: string;
  /** The order's amount in cents (the risk check sees it; a fail-open policy limits it); absent = 0. */
  amountCents?: number;
}

/** Milliseconds spent per stage, summed over attempts. */
export interface StageTimings {
  queuedMs: number;
  allocatingMs: number;
  issuingMs: number;
  retryingMs: number;
  totalMs: number;
  /**
   * Of the above, time spent waiting for the risk service (part of allocatingMs). Optional only because
   * views made outside the core (the server's overflow mirror) do not know it; the core always sets it.
   */
  riskMs?: number;
  /**
   * Of the above, time the order waited for its delivery notification (legacy sends it inside the
   * worker, so it is part of the stage the order was in; adaptive's outbox never delays the order: 0).
   */
  notifyMs?: number;
}

export interface OrderView {
  orderId: string;
  sku: string;
  tier: Tier;
  state: OrderState;
  lane: Lane | null;
  cluster: ClusterName | null;
  providerId: string | null;
  attempts: number;
  cardId: string | null;
  cardCode: string | null;
  /** Environment time of submit / of reaching a terminal state (null while running). */
  submittedAt: number;
  finishedAt: number | null;
  timings: StageTimings;
  rejectReason: string | null;
  failureReason: string | null;
  fromCache: boolean;
  canary: boolean;
}

export type IncidentKind = "isolation" | "retry-budget" | "overflow-flapping";

export type CoreEvent =
  | { kind: "health"; at: number; providerId: string; from: HealthState; to: HealthState; reason: string }
  | { kind: "route"; at: number; overflowActive: boolean; primaryLoad: number; totalSwitches: number }
  | { kind: "hot-sku"; at: number; sku: string; share: number }
  | { kind: "incident"; at: number; incident: IncidentRecord };

export interface IncidentRecord {
  id: string;
  /**
   * What went wrong (server/core/incidents.ts); absent means "isolation" (a provider isolated), as in
   * records written before the other kinds existed.
   */
  kind?: IncidentKind;
  /** The isolated provider; for the other kinds their subject: "retry-budget" or "overflow-route". */
  providerId: string;
  openedAt: number;
  closedAt: number | null;
  ordersDiverted: number;
  ordersRetried: number;
  timeline: { at: number; what: string }[];
  outcome: string | null;
}

export interface LaneSnapshot {
  lane: Lane;
  cluster: ClusterName;
  queueDepth: number;
  inFlight: number;
  workers: number;
  queueCapacity: number;
}

export interface ProviderSnapshot {
  providerId: string;
  state: HealthState;
  weight: number;
  outstanding: number;
  windowCalls: number;
  timeoutRate: number;
  errorRate: number;
  slowRate: number;
  isolations: number;
}

export interface CoreCounters {
  accepted: number;
  delivered: number;
  failed: number;
  rejected: number;
  retries: number;
  providerCalls: number;
  retryAmplification: number;
  cacheHits: number;
  duplicateCards: number;
  routeSwitches: number;
  timeouts: number;
  budgetExhausted: number;
  /** Orders this (primary) cluster forwarded to the backup cluster; also counted in accepted and their outcome. */
  overflowed: number;
  /** Risk checks sent to the risk service. */
  riskChecks: number;
  /** Orders that ended DENIED (the risk service said no). */
  denied: number;
  /** Orders that ended REVIEW (held for a person). */
  review: number;
  /** Orders whose risk check could not be made (error, timeout, service isolated): the unavailable-policy decided. */
  riskUnavailable: number;
  /** Of those, orders let through by "fail-open" under its amount limit. */
  riskFailOpen: number;
  /** Delivery notifications the notification service confirmed (inline and outbox). */
  notifySent: number;
  /** Delivery notifications that failed for good (inline: the one try; outbox: after the last try). */
  notifyFailed: number;
  /** Notifications refused by a full outbox. */
  notifyDropped: number;
}

export interface CoreSnapshot {
  at: number;
  lanes: LaneSnapshot[];
  providers: ProviderSnapshot[];
  clusters: { cluster: ClusterName; load: number; overflowActive: boolean }[];
  counters: CoreCounters;
  hotSkus: { sku: string; share: number; preloaded: boolean }[];
  prewarm: { cacheSize: number; cacheTarget: number; predictedPeakPerMinute: number };
}

/** One validation problem, with a dotted path ("lanes.vip.workers", "providers[2].capacity"). */
export interface FieldViolation {
  path: string;
  message: string;
}
