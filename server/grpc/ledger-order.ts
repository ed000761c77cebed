// A ledger row as an API order (for orders no longer in memory: finished, or on another instance).
// A finished order carries the stage timings SubmitOrder returned (written with its terminal state);
// one recorded before the ledger kept them (store schema 1), or still running, only a total.
import type { Order } from "../../proto/gen/rushhour/v1/dispatch.ts";
import type { LedgerOrder } from "../store/types.ts";
import { clusterToProto, laneToProto, orderStateToProto, tierToProto } from "./convert.ts";
import { type RpcError, unavailable } from "./status.ts";

/** The ledger refused a read or a write: nothing new was told, and retrying (with the same key) is safe. */
export function ledgerUnavailable(err: unknown): RpcError {
  return unavailable(`order ledger unavailable: ${err instanceof Error ? err.message : String(err)}`);
}

/** A ledger read for a reply: a failing ledger (a full disk) is UNAVAILABLE rather than INTERNAL. */
export function fromLedger<T>(read: Promise<T>): Promise<T> {
  return read.catch((err: unknown) => {
    throw ledgerUnavailable(err);
  });
}

export function ledgerOrderToProto(o: LedgerOrder): Order {
  const finished = o.finishedAt ?? 0;
  return {
    orderId: o.orderId,
    idempotencyKey: o.idempotencyKey,
    sku: o.sku,
    tier: tierToProto(o.tier),
    state: orderStateToProto(o.state),
    cardCode: o.state === "DELIVERED" ? (o.cardCode ?? "") : "",
    lane: laneToProto(o.lane),
    cluster: clusterToProto(o.cluster),
    providerId: o.providerId ?? "",
    attempts: o.attempts,
    timings:
      o.totalMs !== null && finished > 0
        ? {
            acceptMs: o.acceptMs ?? 0,
            queuedMs: o.queuedMs ?? 0,
            allocatingMs: o.allocatingMs ?? 0,
            issuingMs: o.issuingMs ?? 0,
            retryingMs: o.retryingMs ?? 0,
            totalMs: o.totalMs,
          }
        : {
            acceptMs: 0,
            queuedMs: 0,
            allocatingMs: 0,
            issuingMs: 0,
            retryingMs: 0,
            totalMs: finished > 0 ? finished - o.acceptedAt : Date.now() - o.acceptedAt,
          },
    rejectReason: o.rejectReason ?? "",
    failureReason: o.failureReason ?? "",
    acceptedAtUnixMs: o.acceptedAt,
    finishedAtUnixMs: finished,
    fromCache: o.fromCache,
    canary: o.canary,
  };
}
