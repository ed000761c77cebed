// An order's lifecycle as an explicit state machine (as health.ts does for providers): the states, a
// table of legal transitions, and ONE transition function every state change of an order goes through.
//
//   ACCEPTED -> QUEUED       admitted to a lane, or forwarded to the backup (lane "overflow")
//   ACCEPTED -> RETRYING     recovered after a restart: straight into the compensation queue
//   ACCEPTED -> REJECTED     invalid, a duplicate in-flight id, or the lane's queue is full
//   QUEUED -> ALLOCATING     a worker slot took it (cache, stock check, claim)
//   QUEUED -> terminal       only a forwarded order: the backup's terminal view, mirrored
//   ALLOCATING -> ISSUING    a card is claimed (and the risk service allowed it); the provider call starts
//   ALLOCATING -> DENIED     the risk service denied the order; its card is released
//   ALLOCATING -> REVIEW     the risk service (or its unavailable-policy) held the order for a person
//   ALLOCATING -> DELIVERED  a cached card, or a card delivered before a crash
//   ALLOCATING | ISSUING -> RETRYING   the attempt failed and another one is allowed
//   ALLOCATING | ISSUING -> FAILED     out of stock, the last attempt failed, or no retry budget
//   ISSUING -> DELIVERED     the provider issued the card and the store recorded its delivery
//   RETRYING -> QUEUED       the backoff ran out
//
// DELIVERED, FAILED, REJECTED, DENIED and REVIEW are terminal: an order in one never changes again, so nothing that
// answers later (a store callback, a late provider answer) can move it, and trying to is a bug that
// throws here. test/server/core/lifecycle.test.ts checks this table against every path the tests and
// the simulated scenarios take.
import type { OrderInput, OrderState, OrderView } from "./types.ts";

export const ORDER_TRANSITIONS: Readonly<Record<OrderState, readonly OrderState[]>> = {
  ACCEPTED: ["QUEUED", "RETRYING", "REJECTED"],
  QUEUED: ["ALLOCATING", "DELIVERED", "FAILED", "REJECTED", "DENIED", "REVIEW"],
  ALLOCATING: ["ISSUING", "DELIVERED", "RETRYING", "FAILED", "DENIED", "REVIEW"],
  ISSUING: ["DELIVERED", "RETRYING", "FAILED"],
  RETRYING: ["QUEUED"],
  DELIVERED: [],
  FAILED: [],
  REJECTED: [],
  DENIED: [],
  REVIEW: [],
};

export function isLegalOrderTransition(from: OrderState, to: OrderState): boolean {
  return ORDER_TRANSITIONS[from].includes(to);
}

export class IllegalOrderTransitionError extends Error {
  constructor(
    readonly orderId: string,
    readonly from: OrderState,
    readonly to: OrderState,
  ) {
    super(`illegal order transition ${from} -> ${to} (order ${orderId})`);
  }
}

export function isTerminal(state: OrderState): boolean {
  return (
    state === "DELIVERED" ||
    state === "FAILED" ||
    state === "REJECTED" ||
    state === "DENIED" ||
    state === "REVIEW"
  );
}

/**
 * The ONE transition function: checks the change against the table (throws
 * IllegalOrderTransitionError), adds the time since `stageAt` to the stage the order leaves, sets the
 * state, and stamps a terminal order's finishedAt and totalMs. Returns `now` (the next stage's start).
 *
 * The table is written out here as one switch on the state left, which both checks the change and
 * picks the stage's timing: every order makes five or six transitions, and comparing interned strings
 * costs less than a lookup keyed by state name (a keyed store into timings cost more than the rest of
 * this). test/server/core/lifecycle.test.ts checks it against ORDER_TRANSITIONS for every pair.
 */
export function transition(view: OrderView, to: OrderState, stageAt: number, now: number): number {
  const from = view.state;
  const t = view.timings;
  switch (from) {
    case "QUEUED":
      if (
        to !== "ALLOCATING" &&
        to !== "DELIVERED" &&
        to !== "FAILED" &&
        to !== "REJECTED" &&
        to !== "DENIED" &&
        to !== "REVIEW"
      )
        break;
      t.queuedMs += now - stageAt;
      return enter(view, to, now);
    case "ALLOCATING":
      if (
        to !== "ISSUING" &&
        to !== "DELIVERED" &&
        to !== "RETRYING" &&
        to !== "FAILED" &&
        to !== "DENIED" &&
        to !== "REVIEW"
      )
        break;
      t.allocatingMs += now - stageAt;
      return enter(view, to, now);
    case "ISSUING":
      if (to !== "DELIVERED" && to !== "RETRYING" && to !== "FAILED") break;
      t.issuingMs += now - stageAt;
      return enter(view, to, now);
    case "RETRYING":
      if (to !== "QUEUED") break;
      t.retryingMs += now - stageAt;
      return enter(view, to, now);
    case "ACCEPTED":
      if (to !== "QUEUED" && to !== "RETRYING" && to !== "REJECTED") break;
      return enter(view, to, now);
  }
  // DELIVERED, FAILED, REJECTED, DENIED, REVIEW are terminal: nothing leaves them.
  throw new IllegalOrderTransitionError(view.orderId, from, to);
}

function enter(view: OrderView, to: OrderState, now: number): number {
  view.state = to;
  if (isTerminal(to)) {
    view.finishedAt = now;
    view.timings.totalMs = now - view.submittedAt;
  }
  return now;
}

/** A new order's view, ACCEPTED at `now` (the order may be malformed: it is validated after this). */
export function acceptedView(order: OrderInput, now: number): OrderView {
  return {
    orderId: String(order?.orderId ?? ""),
    sku: String(order?.sku ?? ""),
    tier: order?.tier === "vip" ? "vip" : "standard",
    state: "ACCEPTED",
    lane: null,
    cluster: null,
    providerId: null,
    attempts: 0,
    cardId: null,
    cardCode: null,
    submittedAt: now,
    finishedAt: null,
    timings: {
      queuedMs: 0,
      allocatingMs: 0,
      issuingMs: 0,
      retryingMs: 0,
      totalMs: 0,
      riskMs: 0,
      notifyMs: 0,
    },
    rejectReason: null,
    failureReason: null,
    fromCache: false,
    canary: false,
  };
}
