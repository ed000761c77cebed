// The in-memory store: the reference semantics the SQLite and PostgreSQL stores must match (the
// shared suite in test/server/store/store.cases.ts proves it). Nothing survives the process.
import type { Card, ClaimResult, StoreResult } from "../core/ports.ts";
import { CARD_RELEASED_STATES, TERMINAL_STATES } from "../core/types.ts";
import { type CardOutcome, storeErrors } from "./rules.ts";
import { normalizeOrder, normalizePatch, patchFields } from "./sql-ledger.ts";
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

/** Free card ids of one SKU, lowest id first (the SQL stores take `ORDER BY id LIMIT 1`). */
class FreeList {
  private readonly heap: number[] = [];
  get size(): number {
    return this.heap.length;
  }
  push(id: number): void {
    const h = this.heap;
    h.push(id);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]! <= id) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = id;
  }
  shift(): number | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && h[r]! < h[l]! ? r : l;
        if (h[c]! >= last) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
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
      const n = this.nextCardId++;
      const id = String(n);
      this.cards.set(id, { id, code, sku, owner: null, delivered: false });
      this.freeList(sku).push(n);
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
      return { kind: "claimed", card: cardOf(held), delivered: held.delivered };
    }
    const n = this.freeList(sku).shift();
    if (n === undefined) return { kind: "out_of_stock" };
    const id = String(n);
    const card = this.cards.get(id)!;
    card.owner = ownerId;
    this.byOwner.set(ownerId, id);
    this.historyOf(id).push({ owner: ownerId, outcome: "held" });
    return { kind: "claimed", card: cardOf(card), delivered: false };
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
    this.freeList(card.sku).push(Number(cardId));
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
    const recorded = normalizeOrder(order);
    this.orders.set(order.orderId, recorded);
    this.byKey.set(order.idempotencyKey, order.orderId);
    return { created: true, order: { ...recorded } };
  }

  async updateOrder(orderId: string, patch: LedgerPatch): Promise<void> {
    this.check();
    const order = this.orders.get(orderId);
    if (!order) throw new Error(storeErrors.unknownOrder(orderId));
    Object.assign(order, normalizePatch(patch, patchFields(patch)));
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

  async failedHoldingCards(): Promise<{ orderId: string; cardId: string }[]> {
    const held: { orderId: string; cardId: string }[] = [];
    for (const o of this.orders.values()) {
      if (!CARD_RELEASED_STATES.has(o.state)) continue;
      const cardId = this.byOwner.get(o.orderId);
      if (cardId !== undefined && !this.cards.get(cardId)?.delivered)
        held.push({ orderId: o.orderId, cardId });
    }
    return held;
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
