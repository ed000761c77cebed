// Between the core's vocabulary (string unions, env-clock times) and the proto's (enums, Unix ms).

import {
  EventKind,
  type GetSnapshotResponse,
  type ProcessSnapshot,
  type WatchEventsResponse,
} from "../../proto/gen/rushhour/v1/admin.ts";
import {
  Cluster,
  CustomerTier,
  type FaultSpec,
  HealthState,
  Lane,
  OrderState,
} from "../../proto/gen/rushhour/v1/common.ts";
import type { Order } from "../../proto/gen/rushhour/v1/dispatch.ts";
import type {
  ClusterName,
  CoreEvent,
  HealthState as CoreHealth,
  Lane as CoreLane,
  CoreSnapshot,
  OrderState as CoreState,
  OrderView,
  Tier,
} from "../core/types.ts";
import { faultKindFromProto, faultKindToProto } from "../providers/fault-kind.ts";
import type { Fault } from "../providers/faults.ts";

const ORDER_STATES: Record<CoreState, OrderState> = {
  ACCEPTED: OrderState.ORDER_STATE_ACCEPTED,
  QUEUED: OrderState.ORDER_STATE_QUEUED,
  ALLOCATING: OrderState.ORDER_STATE_ALLOCATING,
  ISSUING: OrderState.ORDER_STATE_ISSUING,
  DELIVERED: OrderState.ORDER_STATE_DELIVERED,
  RETRYING: OrderState.ORDER_STATE_RETRYING,
  FAILED: OrderState.ORDER_STATE_FAILED,
  REJECTED: OrderState.ORDER_STATE_REJECTED,
  DENIED: OrderState.ORDER_STATE_DENIED,
  REVIEW: OrderState.ORDER_STATE_REVIEW,
};
const LANES: Record<CoreLane, Lane> = {
  vip: Lane.LANE_VIP,
  default: Lane.LANE_DEFAULT,
  overflow: Lane.LANE_OVERFLOW,
};
const CLUSTERS: Record<ClusterName, Cluster> = {
  primary: Cluster.CLUSTER_PRIMARY,
  backup: Cluster.CLUSTER_BACKUP,
};
const HEALTH: Record<CoreHealth, HealthState> = {
  HEALTHY: HealthState.HEALTH_STATE_HEALTHY,
  SUB_HEALTHY: HealthState.HEALTH_STATE_SUB_HEALTHY,
  ISOLATED: HealthState.HEALTH_STATE_ISOLATED,
  PROBING: HealthState.HEALTH_STATE_PROBING,
};

export const orderStateToProto = (s: CoreState): OrderState =>
  ORDER_STATES[s] ?? OrderState.ORDER_STATE_UNSPECIFIED;
export function orderStateFromProto(s: OrderState): CoreState | undefined {
  return (Object.keys(ORDER_STATES) as CoreState[]).find((k) => ORDER_STATES[k] === s);
}
export const laneToProto = (l: CoreLane | null): Lane => (l === null ? Lane.LANE_UNSPECIFIED : LANES[l]);
export function laneFromProto(l: Lane): CoreLane | null {
  return (Object.keys(LANES) as CoreLane[]).find((k) => LANES[k] === l) ?? null;
}
export const clusterToProto = (c: ClusterName | null): Cluster =>
  c === null ? Cluster.CLUSTER_UNSPECIFIED : CLUSTERS[c];
export function clusterFromProto(c: Cluster): ClusterName | null {
  return (Object.keys(CLUSTERS) as ClusterName[]).find((k) => CLUSTERS[k] === c) ?? null;
}
export const healthToProto = (h: CoreHealth): HealthState =>
  HEALTH[h] ?? HealthState.HEALTH_STATE_UNSPECIFIED;
export const tierToProto = (t: Tier): CustomerTier =>
  t === "vip" ? CustomerTier.CUSTOMER_TIER_VIP : CustomerTier.CUSTOMER_TIER_STANDARD;
export const tierFromProto = (t: CustomerTier): Tier =>
  t === CustomerTier.CUSTOMER_TIER_VIP ? "vip" : "standard";

export { faultKindFromProto };

export function faultToProto(f: Fault): FaultSpec {
  return {
    providerId: f.providerId,
    kind: faultKindToProto(f.kind),
    probability: f.probability,
    latencyMs: f.latencyMs,
    durationMs: f.durationMs,
  };
}

/** What the server adds to the core's view of an order: the client's key and the wall-clock anchor. */
export interface OrderEnvelope {
  idempotencyKey: string;
  /** Unix ms the order was accepted. */
  acceptedAtUnixMs: number;
  /** Milliseconds from receipt of the request to recorded in the ledger. */
  acceptMs: number;
  /** The client that placed the order, when clients are told apart (serve --client-tokens). */
  clientId: string | null;
}

/** `toUnix` converts an env-clock time to Unix ms. */
export function orderToProto(view: OrderView, envelope: OrderEnvelope, toUnix: (t: number) => number): Order {
  return {
    orderId: view.orderId,
    idempotencyKey: envelope.idempotencyKey,
    sku: view.sku,
    tier: tierToProto(view.tier),
    state: orderStateToProto(view.state),
    cardCode: view.state === "DELIVERED" ? (view.cardCode ?? "") : "",
    lane: laneToProto(view.lane),
    cluster: clusterToProto(view.cluster),
    providerId: view.providerId ?? "",
    attempts: view.attempts,
    timings: {
      acceptMs: envelope.acceptMs,
      queuedMs: view.timings.queuedMs,
      allocatingMs: view.timings.allocatingMs,
      issuingMs: view.timings.issuingMs,
      retryingMs: view.timings.retryingMs,
      totalMs: view.timings.totalMs,
    },
    rejectReason: view.rejectReason ?? "",
    failureReason: view.failureReason ?? "",
    acceptedAtUnixMs: envelope.acceptedAtUnixMs,
    finishedAtUnixMs: view.finishedAt === null ? 0 : toUnix(view.finishedAt),
    fromCache: view.fromCache,
    canary: view.canary,
  };
}

export function snapshotToProto(
  snap: CoreSnapshot,
  extra: {
    toUnix: (t: number) => number;
    faults: (providerId: string) => Fault[];
    process: ProcessSnapshot;
    configVersion: number;
    role: string;
  },
): Omit<GetSnapshotResponse, "operations"> {
  const c = snap.counters;
  return {
    timeUnixMs: extra.toUnix(snap.at),
    lanes: snap.lanes.map((l) => ({
      lane: laneToProto(l.lane),
      cluster: clusterToProto(l.cluster),
      queueDepth: l.queueDepth,
      inFlight: l.inFlight,
      workers: l.workers,
      queueCapacity: l.queueCapacity,
    })),
    providers: snap.providers.map((p) => ({
      providerId: p.providerId,
      state: healthToProto(p.state),
      weight: p.weight,
      outstanding: p.outstanding,
      windowCalls: p.windowCalls,
      timeoutRate: p.timeoutRate,
      errorRate: p.errorRate,
      slowRate: p.slowRate,
      isolations: p.isolations,
      activeFaults: extra.faults(p.providerId).map(faultToProto),
    })),
    clusters: snap.clusters.map((k) => ({
      cluster: clusterToProto(k.cluster),
      load: k.load,
      overflowActive: k.overflowActive,
    })),
    counters: {
      accepted: c.accepted,
      delivered: c.delivered,
      failed: c.failed,
      rejected: c.rejected,
      retries: c.retries,
      retryAmplification: c.retryAmplification,
      cacheHits: c.cacheHits,
      duplicateCards: c.duplicateCards,
      routeSwitches: c.routeSwitches,
      timeouts: c.timeouts,
      budgetExhausted: c.budgetExhausted,
    },
    hotSkus: snap.hotSkus.map((h) => ({ sku: h.sku, share: h.share, preloaded: h.preloaded })),
    prewarm: {
      cacheSize: snap.prewarm.cacheSize,
      cacheTarget: snap.prewarm.cacheTarget,
      predictedPeakPerMinute: snap.prewarm.predictedPeakPerMinute,
    },
    process: extra.process,
    configVersion: extra.configVersion,
    role: extra.role,
  };
}

export function eventKindOf(event: CoreEvent): EventKind {
  switch (event.kind) {
    case "health":
      return EventKind.EVENT_KIND_HEALTH_TRANSITION;
    case "route":
      return EventKind.EVENT_KIND_ROUTE_SWITCH;
    case "hot-sku":
      return EventKind.EVENT_KIND_HOT_SKU;
    case "incident":
      return EventKind.EVENT_KIND_INCIDENT;
  }
}

export function eventToProto(event: CoreEvent, toUnix: (t: number) => number): WatchEventsResponse {
  const base = { timeUnixMs: toUnix(event.at), kind: eventKindOf(event) };
  switch (event.kind) {
    case "health":
      return {
        ...base,
        healthTransition: {
          providerId: event.providerId,
          from: healthToProto(event.from),
          to: healthToProto(event.to),
          reason: event.reason,
        },
      };
    case "route":
      return {
        ...base,
        routeSwitch: {
          overflowActive: event.overflowActive,
          primaryLoad: event.primaryLoad,
          totalSwitches: event.totalSwitches,
        },
      };
    case "hot-sku":
      return { ...base, hotSku: { sku: event.sku, share: event.share } };
    case "incident": {
      const i = event.incident;
      return {
        ...base,
        incident: {
          incidentId: i.id,
          providerId: i.providerId,
          openedAtUnixMs: toUnix(i.openedAt),
          closedAtUnixMs: i.closedAt === null ? 0 : toUnix(i.closedAt),
          ordersDiverted: i.ordersDiverted,
          ordersRetried: i.ordersRetried,
          timeline: i.timeline.map((e) => ({ timeUnixMs: toUnix(e.at), what: e.what })),
          outcome: i.outcome ?? "",
        },
      };
    }
  }
}
