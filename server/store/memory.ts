// The in-memory store: the reference semantics the SQLite and PostgreSQL stores must match (the
// shared suite in test/server/store/store.cases.ts proves it). Nothing survives the process.
import type { Card, ClaimResult, StoreResult } from "../core/ports.ts";
import { TERMINAL_STATES } from "../core/types.ts";
import { type CardOutcome, storeErrors } from "./rules.ts";
import type { LedgerOrder, LedgerPatch, Store, StoreAudit } from "./types.ts";

interface MemCard {
  id: string;
  code: string;
  sku: string;
  owner: string | null;
  delivered: boolean;
}

interface HistoryRow {
  owner: string;
  outcome: CardOutcome;
}

/** A FIFO of free card ids per SKU; released cards go to the back. */
class FreeList {
  private ids: string[] = [];
  private head = 0;
  get size(): number {
    return this.ids.length - this.head;
  }
  push(id: string): void {
    this.ids.push(id);
  }
  shift(): string | undefined {
    if (this.head >= this.ids.length) return undefined;
    const id = this.ids[this.head++];
    // Compact now and then so a long run does not keep every id ever claimed.
    if (this.head > 1024 && this.head * 2 > this.ids.length) {
      this.ids = this.ids.slice(this.head);
      this.head = 0;
    }
    return id;
  }
}

export class MemoryStore implements Store {
  readonly kind = "memory";
  private nextCardId = 1;
  private readonly cards = new Map<string, MemCard>();
  private readonly codes = new Set<string>();
  private readonly byOwner = new Map<string, string>();
  private readonly free = new Map<string, FreeList>();
  private readonly history = new Map<string, HistoryRow[]>();
  private readonly orders = new Map<string, LedgerOrder>();
  private readonly byKey = new Map<string, string>();
  private closed = false;

  async importCards(sku: string, codes: string[]): Promise<{ imported: number; duplicates: number }> {
    this.check();
    let imported = 0;
    for (const code of codes) {
      if (this.codes.has(code)) continue;
      this.codes.add(code);
      const id = String(this.nextCardId++);
      this.cards.set(id, { id, code, sku, owner: null, delivered: false });
      this.freeList(sku).push(id);
      imported++;
    }
    return { imported, duplicates: codes.length - imported };
  }

  async claim(ownerId: string, sku: string): Promise<ClaimResult> {
    this.check();
    const heldId = this.byOwner.get(ownerId);
    if (heldId !== undefined) {
      const held = this.cards.get(heldId)!;
      if (held.sku !== sku) return { kind: "error", message: storeErrors.holdsOtherSku(ownerId, held.sku) };
      return { kind: "claimed", card: cardOf(held) };
    }
    const id = this.freeList(sku).shift();
    if (id === undefined) return { kind: "out_of_stock" };
    const card = this.cards.get(id)!;
    card.owner = ownerId;
    this.byOwner.set(ownerId, id);
    this.historyOf(id).push({ owner: ownerId, outcome: "held" });
    return { kind: "claimed", card: cardOf(card) };
  }

  async transfer(cardId: string, fromOwner: string, toOwner: string): Promise<StoreResult> {
    this.check();
    const card = this.cards.get(cardId);
    if (!card) return { kind: "error", message: storeErrors.unknownCard(cardId) };
    if (card.owner !== fromOwner || card.delivered) {
      return { kind: "error", message: storeErrors.notHeldBy(cardId, fromOwner) };
    }
    if (fromOwner === toOwner) return { kind: "ok" };
    if (this.byOwner.has(toOwner)) return { kind: "error", message: storeErrors.ownerHoldsCard(toOwner) };
    card.owner = toOwner;
    this.byOwner.delete(fromOwner);
    this.byOwner.set(toOwner, cardId);
    this.closeOpenRow(cardId, fromOwner, "transferred");
    this.historyOf(cardId).push({ owner: toOwner, outcome: "held" });
    return { kind: "ok" };
  }

  async release(ownerId: string, cardId: string): Promise<StoreResult> {
    this.check();
    const card = this.cards.get(cardId);
    if (!card) return { kind: "error", message: storeErrors.unknownCard(cardId) };
    if (card.owner !== ownerId || card.delivered) {
      return { kind: "error", message: storeErrors.notReleasable(cardId, ownerId) };
    }
    card.owner = null;
    this.byOwner.delete(ownerId);
    this.closeOpenRow(cardId, ownerId, "released");
    this.freeList(card.sku).push(cardId);
    return { kind: "ok" };
  }

  async deliver(ownerId: string, cardId: string): Promise<StoreResult> {
    this.check();
    const card = this.cards.get(cardId);
    if (!card) return { kind: "error", message: storeErrors.unknownCard(cardId) };
    if (card.owner !== ownerId) return { kind: "error", message: storeErrors.notHeldBy(cardId, ownerId) };
    if (card.delivered) return { kind: "ok" };
    card.delivered = true;
    this.closeOpenRow(cardId, ownerId, "delivered");
    return { kind: "ok" };
  }

  async stock(sku: string): Promise<number> {
    this.check();
    return this.free.get(sku)?.size ?? 0;
  }

  async recordOrder(order: LedgerOrder): Promise<{ created: boolean; order: LedgerOrder }> {
    this.check();
    const existingId = this.byKey.get(order.idempotencyKey);
    if (existingId !== undefined) return { created: false, order: { ...this.orders.get(existingId)! } };
    if (this.orders.has(order.orderId)) throw new Error(storeErrors.orderIdTaken(order.orderId));
    this.orders.set(order.orderId, { ...order });
    this.byKey.set(order.idempotencyKey, order.orderId);
    return { created: true, order: { ...order } };
  }

  async updateOrder(orderId: string, patch: LedgerPatch): Promise<void> {
    this.check();
    const order = this.orders.get(orderId);
    if (!order) throw new Error(storeErrors.unknownOrder(orderId));
    for (const [key, value] of Object.entries(patch)) {
      // A patch names only mutable fields; `undefined` means "leave as is", as in the SQL stores.
      if (value !== undefined) (order as unknown as Record<string, unknown>)[key] = value;
    }
  }

  async getOrder(orderId: string): Promise<LedgerOrder | undefined> {
    this.check();
    const order = this.orders.get(orderId);
    return order ? { ...order } : undefined;
  }

  async getOrderByKey(idempotencyKey: string): Promise<LedgerOrder | undefined> {
    this.check();
    const id = this.byKey.get(idempotencyKey);
    return id === undefined ? undefined : { ...this.orders.get(id)! };
  }

  async nonTerminalOrders(): Promise<LedgerOrder[]> {
    this.check();
    return [...this.orders.values()]
      .filter((o) => !TERMINAL_STATES.has(o.state))
      .sort((a, b) => a.acceptedAt - b.acceptedAt || (a.orderId < b.orderId ? -1 : 1))
      .map((o) => ({ ...o }));
  }

  async audit(): Promise<StoreAudit> {
    this.check();
    const ghosts = new Set<string>();
    for (const [cardId, rows] of this.history) {
      if (rows.filter((r) => r.outcome === "held" || r.outcome === "delivered").length > 1)
        ghosts.add(cardId);
    }
    // The ledger's view: two live (not failed or rejected) orders naming the same card.
    const liveByCard = new Map<string, number>();
    let nonTerminal = 0;
    let failedHolding = 0;
    let deliveredWithout = 0;
    for (const o of this.orders.values()) {
      if (!TERMINAL_STATES.has(o.state)) nonTerminal++;
      const failed = o.state === "FAILED" || o.state === "REJECTED";
      if (o.cardId !== null && !failed) liveByCard.set(o.cardId, (liveByCard.get(o.cardId) ?? 0) + 1);
      if (failed && this.byOwner.has(o.orderId)) failedHolding++;
      if (o.state === "DELIVERED") {
        const card = o.cardId === null ? undefined : this.cards.get(o.cardId);
        if (!card || card.owner !== o.orderId || !card.delivered) deliveredWithout++;
      }
    }
    for (const [cardId, n] of liveByCard) if (n > 1) ghosts.add(cardId);
    return {
      duplicateCards: ghosts.size,
      nonTerminalOrders: nonTerminal,
      failedHoldingCards: failedHolding,
      deliveredWithoutCard: deliveredWithout,
      totalOrders: this.orders.size,
      totalCards: this.cards.size,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private check(): void {
    if (this.closed) throw new Error(storeErrors.closed(this.kind));
  }

  private freeList(sku: string): FreeList {
    let list = this.free.get(sku);
    if (!list) {
      list = new FreeList();
      this.free.set(sku, list);
    }
    return list;
  }

  private historyOf(cardId: string): HistoryRow[] {
    let rows = this.history.get(cardId);
    if (!rows) {
      rows = [];
      this.history.set(cardId, rows);
    }
    return rows;
  }

  private closeOpenRow(cardId: string, owner: string, outcome: CardOutcome): void {
    const rows = this.historyOf(cardId);
    for (let i = rows.length - 1; i >= 0; i--) {
      const row = rows[i]!;
      if (row.owner === owner && row.outcome === "held") {
        row.outcome = outcome;
        return;
      }
    }
  }
}

function cardOf(card: MemCard): Card {
  return { cardId: card.id, code: card.code, sku: card.sku };
}
