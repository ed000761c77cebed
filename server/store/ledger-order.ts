import type { Tier } from "../core/types.ts";
import type { LedgerOrder } from "./types.ts";

/**
 * A newly accepted order as the ledger records it: nothing routed, claimed or finished yet. Built
 * field by field: a spread of `fields` followed by twelve new properties cost V8 about 36 µs per
 * order (about 5% of the server's CPU at 1,500 orders/s), a plain literal about 1 µs.
 */
export function acceptedOrder(fields: {
  orderId: string;
  idempotencyKey: string;
  sku: string;
  tier: Tier;
  /** Unix milliseconds. */
  acceptedAt: number;
  /** The client that placed it, when clients are told apart. */
  clientId?: string | null;
}): LedgerOrder {
  return {
    orderId: fields.orderId,
    idempotencyKey: fields.idempotencyKey,
    sku: fields.sku,
    tier: fields.tier,
    state: "ACCEPTED",
    attempts: 0,
    cardId: null,
    cardCode: null,
    lane: null,
    cluster: null,
    providerId: null,
    rejectReason: null,
    failureReason: null,
    fromCache: false,
    canary: false,
    acceptedAt: fields.acceptedAt,
    finishedAt: null,
    clientId: fields.clientId ?? null,
    acceptMs: null,
    queuedMs: null,
    allocatingMs: null,
    issuingMs: null,
    retryingMs: null,
    totalMs: null,
  };
}
