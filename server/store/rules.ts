// The card-pool rules every store follows, and the messages it gives when a rule says no. Keeping
// the messages in one place lets the shared suite compare stores on behaviour, not wording.
//
// A card is free (no owner), held (one owner, not delivered) or delivered (one owner, forever).
// - claim(owner, sku): if the owner holds a card (held or delivered) of that SKU, that same card is
//   returned (a retried order never gets a second card); of another SKU, an error. Otherwise the
//   free card of the SKU with the lowest id is taken (import order; a released card is reused first).
//   After the owner releases its card it holds nothing, so a later claim by the same owner takes a
//   free card anew (the same one if it is still the lowest free).
// - transfer(card, from, to): only from the current owner of an undelivered card, only to an owner that
//   holds no card (an owner holds at most one card). from === to is a no-op.
// - release(owner, card): only by the current owner of an undelivered card; the card is free again.
// - deliver(owner, card): only by the current owner; idempotent; the card can never be claimed again.
// - stock(sku): free cards only (cards held by cache slots are not stock).
// Every change of owner is kept in a history (one row per owner of a card, with its outcome), so the
// audit can count ghost cards from what happened, not from what the constraints allow.

/** The outcome of one owner's tenure of a card. "held" means the tenure is still open. */
export type CardOutcome = "held" | "released" | "transferred" | "delivered";

export const storeErrors = {
  unknownCard: (cardId: string) => `unknown card ${cardId}`,
  notHeldBy: (cardId: string, owner: string) => `card ${cardId} is not held by ${owner}`,
  notReleasable: (cardId: string, owner: string) =>
    `card ${cardId} is not held undelivered by ${owner}, so it cannot be released`,
  ownerHoldsCard: (owner: string) => `${owner} already holds a card`,
  holdsOtherSku: (owner: string, sku: string) => `${owner} already holds a card of another SKU (${sku})`,
  orderIdTaken: (orderId: string) => `order id ${orderId} already exists under another idempotency key`,
  unknownOrder: (orderId: string) => `unknown order ${orderId}`,
  closed: (kind: string) => `the ${kind} store is closed`,
};
