// An in-memory CardStorePort for simulation: every SKU is pre-stocked (by default without limit);
// cards are numbered per SKU, released cards go back to a free list, and delivered cards are never
// handed out again. Memory is bounded by orders in flight. It counts what would be ghost cards.
import type { Environment } from "../../server/core/env.ts";
import type { Card, CardStorePort, ClaimResult, StoreResult } from "../../server/core/ports.ts";

interface SkuPool {
  next: number;
  free: string[];
  /** When the SKU's rows are free again (row-lock contention model). */
  lockFreeAt: number;
}

/**
 * Per-SKU row-lock service times (ms): operations on one SKU's cards serialise, as claims of the same
 * SKU do on one table's rows in a real store; a hot SKU therefore queues. Off when absent.
 */
export interface RowLockModel {
  claimMs: number;
  stockMs: number;
  deliverMs: number;
  releaseMs: number;
  /** false: the times are round trips that overlap (no per-SKU serialisation). Default true. */
  perSkuLock?: boolean;
}

export interface SimCardStoreOptions {
  /** Cards per SKU (default: unlimited). */
  stockPerSku?: number;
  /** Store round trip in ms, through the virtual clock; null answers synchronously. */
  latencyMs?: number | null;
  rowLock?: RowLockModel;
}

export class SimCardStore implements CardStorePort {
  private readonly pools = new Map<string, SkuPool>();
  /** owner -> card, for held (claimed, not delivered/released) cards. */
  private readonly held = new Map<string, Card>();
  private readonly stockPerSku: number;
  private readonly latency: number | null;
  private readonly rowLock: RowLockModel | undefined;
  delivered = 0;
  /** Deliveries of a card its caller did not hold (a second owner): must stay 0. */
  duplicates = 0;

  constructor(
    private readonly env: Environment,
    options: SimCardStoreOptions = {},
  ) {
    this.stockPerSku = options.stockPerSku ?? Number.POSITIVE_INFINITY;
    this.latency = options.latencyMs === undefined ? 0 : options.latencyMs;
    this.rowLock = options.rowLock;
  }

  private reply<T>(done: (r: T) => void, result: T): void {
    if (this.latency === null) done(result);
    else this.env.schedule(this.latency, () => done(result));
  }

  /** Answers after the SKU's lock is free plus the operation's service time (or as `reply` without the model). */
  private locked<T>(
    sku: string,
    op: "claimMs" | "stockMs" | "deliverMs" | "releaseMs",
    done: (r: T) => void,
    result: T,
  ): void {
    if (this.rowLock === undefined) {
      this.reply(done, result);
      return;
    }
    if (this.rowLock.perSkuLock === false) {
      this.env.schedule(this.rowLock[op] + (this.latency ?? 0), () => done(result));
      return;
    }
    const p = this.pool(sku);
    const now = this.env.now();
    const end = Math.max(now, p.lockFreeAt) + this.rowLock[op];
    p.lockFreeAt = end;
    this.env.schedule(end - now + (this.latency ?? 0), () => done(result));
  }

  private pool(sku: string): SkuPool {
    let p = this.pools.get(sku);
    if (p === undefined) {
      p = { next: 0, free: [], lockFreeAt: 0 };
      this.pools.set(sku, p);
    }
    return p;
  }

  claim(ownerId: string, sku: string, done: (result: ClaimResult) => void): void {
    const existing = this.held.get(ownerId);
    if (existing !== undefined) {
      // `held` keeps only undelivered cards: the simulation never restarts, so no delivered owner claims again.
      this.locked(sku, "claimMs", done, { kind: "claimed", card: existing, delivered: false });
      return;
    }
    const p = this.pool(sku);
    let cardId = p.free.pop();
    if (cardId === undefined) {
      if (p.next >= this.stockPerSku) {
        this.locked(sku, "claimMs", done, { kind: "out_of_stock" });
        return;
      }
      cardId = `${sku}#${p.next++}`;
    }
    // The card id doubles as its code: the simulation never shows codes, and this saves a string per order.
    const card: Card = { cardId, code: cardId, sku };
    this.held.set(ownerId, card);
    this.locked(sku, "claimMs", done, { kind: "claimed", card, delivered: false });
  }

  transfer(cardId: string, fromOwner: string, toOwner: string, done: (result: StoreResult) => void): void {
    const card = this.held.get(fromOwner);
    if (card === undefined || card.cardId !== cardId || this.held.has(toOwner)) {
      this.reply(done, { kind: "error", message: `${fromOwner} does not hold ${cardId}` });
      return;
    }
    this.held.delete(fromOwner);
    this.held.set(toOwner, card);
    this.locked(card.sku, "claimMs", done, { kind: "ok" });
  }

  release(ownerId: string, cardId: string, done: (result: StoreResult) => void): void {
    const card = this.held.get(ownerId);
    if (card === undefined || card.cardId !== cardId) {
      this.reply(done, { kind: "error", message: `${ownerId} does not hold ${cardId}` });
      return;
    }
    this.held.delete(ownerId);
    this.pool(card.sku).free.push(cardId);
    this.locked(card.sku, "releaseMs", done, { kind: "ok" });
  }

  deliver(ownerId: string, cardId: string, done: (result: StoreResult) => void): void {
    // Cards are only ever held by one owner (claim hands out free cards; transfer moves them), so a
    // delivery by anyone but the holder is what would be a ghost card.
    const card = this.held.get(ownerId);
    if (card === undefined || card.cardId !== cardId) {
      this.duplicates++;
      this.reply(done, { kind: "error", message: `${cardId} is not held by ${ownerId}` });
      return;
    }
    this.held.delete(ownerId);
    this.delivered++;
    this.locked(card.sku, "deliverMs", done, { kind: "ok" });
  }

  stock(
    sku: string,
    done: (result: { kind: "ok"; free: number } | { kind: "error"; message: string }) => void,
  ): void {
    const p = this.pool(sku);
    const free = Number.isFinite(this.stockPerSku) ? this.stockPerSku - p.next + p.free.length : 1e9;
    this.locked(sku, "stockMs", done, { kind: "ok", free });
  }

  /** Cards currently held (claimed, not delivered or released). */
  get heldCount(): number {
    return this.held.size;
  }
}
