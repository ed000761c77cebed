import type { Tier } from "../core/types.ts";
import type { LedgerOrder } from "./types.ts";

/** A newly accepted order as the ledger records it: nothing routed, claimed or finished yet. */
export function acceptedOrder(fields: {
  orderId: string;
  idempotencyKey: string;
  sku: string;
  tier: Tier;
  /** Unix milliseconds. */
  acceptedAt: number;
}): LedgerOrder {
  return {
    ...fields,
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
    finishedAt: null,
  };
}
