// Ports: how the core reaches the card store, the providers and the backup cluster. Every
// operation completes through a callback, so the same core runs against in-memory fakes in
// virtual time and against SQLite, PostgreSQL and gRPC in real time.
import type { OrderInput, OrderView } from "./types.ts";

export interface Card {
  cardId: string;
  /** The secret card key handed to the customer. */
  code: string;
  sku: string;
}

export type ClaimResult =
  | {
      kind: "claimed";
      card: Card;
      /**
       * The owner held this card already and it is marked delivered: the owner crashed after the
       * delivery was recorded and before its ledger said so. Recovery finishes such an order as
       * DELIVERED; asking a provider to issue the card again would issue it twice.
       */
      delivered: boolean;
    }
  | { kind: "out_of_stock" }
  | { kind: "error"; message: string };

export type StoreResult = { kind: "ok" } | { kind: "error"; message: string };

/**
 * The card pool. Owners are order ids or prewarm-cache slot ids. The store guarantees a card has at
 * most one owner, ever (no ghost cards), across restarts and server instances.
 */
export interface CardStorePort {
  /**
   * Atomically claims one free card of `sku` for `ownerId`. If the owner already holds an
   * undelivered or delivered card, that same card is returned (a retried order never gets a second card).
   */
  claim(ownerId: string, sku: string, done: (result: ClaimResult) => void): void;
  /** Moves a card from `fromOwner` (a cache slot) to `toOwner` (an order); an error if fromOwner does not hold it. */
  transfer(cardId: string, fromOwner: string, toOwner: string, done: (result: StoreResult) => void): void;
  /** Returns the owner's card to the pool (a failed order, an unused cache slot). */
  release(ownerId: string, cardId: string, done: (result: StoreResult) => void): void;
  /** Marks the owner's card delivered; it is never claimable again. */
  deliver(ownerId: string, cardId: string, done: (result: StoreResult) => void): void;
  /** Free cards of `sku` (the inventory check that hot-SKU preloading serves from memory). */
  stock(
    sku: string,
    done: (result: { kind: "ok"; free: number } | { kind: "error"; message: string }) => void,
  ): void;
}

export interface IssueRequest {
  providerId: string;
  orderId: string;
  sku: string;
  cardId: string;
  /** 1 for the first attempt. */
  attempt: number;
}

export type IssueOutcome = { kind: "issued"; receipt: string } | { kind: "error"; reason: string };

/**
 * Card-issuing providers. `done` is called at most once; it may never be called (a blackholed
 * provider): the core arms its own timeout through the Environment and ignores late answers.
 */
export interface ProviderPort {
  issue(request: IssueRequest, done: (outcome: IssueOutcome) => void): void;
}

/**
 * The backup cluster. In simulation, a second core instance behind a network hop; live, a gRPC
 * client to `rushhour serve --role backup`. `done` receives the order's terminal view.
 */
export interface OverflowPort {
  forward(order: OrderInput, done: (view: OrderView) => void): void;
}

/** A risk check: after the stock check, before a card is issued (the write-up's `risk_control()`). */
export interface RiskRequest {
  orderId: string;
  sku: string;
  tier: "standard" | "vip";
  /** The order's amount in cents (what a fail-open policy limits); 0 when the scenario sets none. */
  amountCents: number;
  /** 1 for the first check of the order. */
  attempt: number;
}

export type RiskOutcome =
  | { kind: "allow" }
  | { kind: "deny"; reason: string }
  | { kind: "review"; reason: string }
  | { kind: "error"; reason: string };

/**
 * The risk service. Like ProviderPort: `done` is called at most once and may never be called (an
 * outage that blackholes); the core arms its own timeout and ignores late answers.
 */
export interface RiskPort {
  check(request: RiskRequest, done: (outcome: RiskOutcome) => void): void;
}

/** A delivery notification (the write-up's `send_email()`): tells the customer the card is theirs. */
export interface NotifyRequest {
  orderId: string;
  sku: string;
  tier: "standard" | "vip";
  /** 1 for the first try. */
  attempt: number;
}

export type NotifyOutcome = { kind: "sent" } | { kind: "error"; reason: string };

/** The notification service: same call contract as RiskPort (at most once, maybe never). */
export interface NotifyPort {
  send(request: NotifyRequest, done: (outcome: NotifyOutcome) => void): void;
}
