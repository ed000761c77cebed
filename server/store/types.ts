// One store interface (card pool + order ledger) with three implementations: memory, SQLite
// (the embedded default, a durable file) and PostgreSQL (shared by several server instances).
// One shared test suite runs against each (test/server/store/store.cases.ts).
import type { ClaimResult, StoreResult } from "../core/ports.ts";
import type { ClusterName, Lane, OrderState, Tier } from "../core/types.ts";

/** An order as the ledger records it. Written before the order is acknowledged (docs/ARCHITECTURE.md rule P1). */
export interface LedgerOrder {
  orderId: string;
  idempotencyKey: string;
  sku: string;
  tier: Tier;
  state: OrderState;
  attempts: number;
  cardId: string | null;
  cardCode: string | null;
  lane: Lane | null;
  cluster: ClusterName | null;
  providerId: string | null;
  rejectReason: string | null;
  failureReason: string | null;
  fromCache: boolean;
  canary: boolean;
  /** Unix milliseconds. */
  acceptedAt: number;
  /** Unix milliseconds; null while not terminal. */
  finishedAt: number | null;
  /**
   * The client that placed the order (serve --client-tokens, or a client certificate's CN); null when
   * clients are not told apart. Set when recorded, never patched.
   */
  clientId: string | null;
  /**
   * Stage timings in ms as SubmitOrder returns them (proto StageTimings), written with the terminal
   * state so GetOrder and WatchOrder answer the same once the order has left memory; null before.
   */
  acceptMs: number | null;
  queuedMs: number | null;
  allocatingMs: number | null;
  issuingMs: number | null;
  retryingMs: number | null;
  totalMs: number | null;
}

export type LedgerPatch = Partial<
  Omit<LedgerOrder, "orderId" | "idempotencyKey" | "sku" | "tier" | "acceptedAt" | "clientId">
>;

/** What a store audit finds; every count must be 0 on a healthy store. */
export interface StoreAudit {
  /** Cards whose history shows more than one order (ghost cards). */
  duplicateCards: number;
  /** Orders not in a terminal state (after recovery has run, must be 0). */
  nonTerminalOrders: number;
  /** FAILED or REJECTED orders still holding a card. */
  failedHoldingCards: number;
  /** DELIVERED orders whose card is not marked delivered to them. */
  deliveredWithoutCard: number;
  totalOrders: number;
  totalCards: number;
}

export interface Store {
  /** "memory", "sqlite" or "postgres". */
  readonly kind: string;

  // Card pool
  importCards(sku: string, codes: string[]): Promise<{ imported: number; duplicates: number }>;
  /** Atomically claims a free card for ownerId; the same owner gets the same card back (idempotent). */
  claim(ownerId: string, sku: string): Promise<ClaimResult>;
  transfer(cardId: string, fromOwner: string, toOwner: string): Promise<StoreResult>;
  release(ownerId: string, cardId: string): Promise<StoreResult>;
  deliver(ownerId: string, cardId: string): Promise<StoreResult>;
  stock(sku: string): Promise<number>;

  // Order ledger
  /** Records a new order; if the idempotency key exists, returns the existing order with created=false. */
  recordOrder(order: LedgerOrder): Promise<{ created: boolean; order: LedgerOrder }>;
  updateOrder(orderId: string, patch: LedgerPatch): Promise<void>;
  getOrder(orderId: string): Promise<LedgerOrder | undefined>;
  getOrderByKey(idempotencyKey: string): Promise<LedgerOrder | undefined>;
  /** Every order not in DELIVERED, FAILED or REJECTED (recovered into the compensation queue on restart). */
  nonTerminalOrders(): Promise<LedgerOrder[]>;

  /**
   * FAILED or REJECTED orders still holding an undelivered card: a crash between writing FAILED and
   * committing the release leaves one; recovery releases them (the audit's failedHoldingCards).
   */
  failedHoldingCards(): Promise<{ orderId: string; cardId: string }[]>;
  audit(): Promise<StoreAudit>;
  close(): Promise<void>;
}
