// The one test suite every store runs (memory.test.ts, sqlite.test.ts, postgres.test.ts): the
// stores must be interchangeable, so they are held to the same observable behaviour.
import { afterEach, describe, expect, it } from "vitest";
import type { ClaimResult, StoreResult } from "../../../server/core/ports.ts";
import { toCardStorePort } from "../../../server/store/card-port.ts";
import { acceptedOrder } from "../../../server/store/ledger-order.ts";
import { cardCode, seedStock } from "../../../server/store/seed.ts";
import type { LedgerOrder, Store } from "../../../server/store/types.ts";

export interface StoreFactory {
  /** A fresh, empty store. */
  open(): Promise<Store>;
  /** How many cards the concurrency case allocates (default 2000). */
  concurrentCards?: number;
}

/**
 * A card history with every outcome, for the stores' history tests: A1 claimed by a cache slot,
 * transferred to o1 and delivered; A2 claimed by o2, released, then claimed by o3.
 */
export async function makeClaimHistory(
  s: Store,
): Promise<{ slot: { card: { cardId: string } }; other: { card: { cardId: string } } }> {
  await s.importCards("sku-a", ["A1", "A2"]);
  const slot = claimed(await s.claim("slot-1", "sku-a"));
  await s.transfer(slot.cardId, "slot-1", "o1");
  await s.deliver("o1", slot.cardId);
  const other = claimed(await s.claim("o2", "sku-a"));
  await s.release("o2", other.cardId);
  await s.claim("o3", "sku-a");
  return { slot: { card: slot }, other: { card: other } };
}

export function order(id: string, overrides: Partial<LedgerOrder> = {}): LedgerOrder {
  return {
    ...acceptedOrder({
      orderId: id,
      idempotencyKey: `key-${id}`,
      sku: "sku-a",
      tier: "standard",
      acceptedAt: 1_700_000_000_000,
    }),
    ...overrides,
  };
}

function claimed(r: ClaimResult): { cardId: string; code: string; sku: string } {
  if (r.kind !== "claimed") throw new Error(`expected a claimed card, got ${JSON.stringify(r)}`);
  return r.card;
}

const OK: StoreResult = { kind: "ok" };

export function storeCases(name: string, factory: StoreFactory): void {
  describe(`${name} store (shared suite)`, () => {
    const opened: Store[] = [];
    async function fresh(): Promise<Store> {
      const s = await factory.open();
      opened.push(s);
      return s;
    }
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });

    it("imports cards, counting duplicates within a batch, across batches and across SKUs", async () => {
      const s = await fresh();
      expect(await s.importCards("sku-a", ["A1", "A2", "A1"])).toEqual({ imported: 2, duplicates: 1 });
      expect(await s.importCards("sku-a", ["A2", "A3"])).toEqual({ imported: 1, duplicates: 1 });
      // A card key is a secret: the same code under another SKU is still the same card.
      expect(await s.importCards("sku-b", ["A3", "B1"])).toEqual({ imported: 1, duplicates: 1 });
      expect(await s.stock("sku-a")).toBe(3);
      expect(await s.stock("sku-b")).toBe(1);
      expect(await s.stock("sku-none")).toBe(0);
      expect((await s.audit()).totalCards).toBe(4);
    });

    it("claims distinct cards in import order, then reports out_of_stock", async () => {
      const s = await fresh();
      await s.importCards("sku-a", ["A1", "A2"]);
      await s.importCards("sku-b", ["B1"]);
      const first = claimed(await s.claim("o1", "sku-a"));
      const second = claimed(await s.claim("o2", "sku-a"));
      expect([first.code, second.code]).toEqual(["A1", "A2"]);
      expect(first.sku).toBe("sku-a");
      expect(first.cardId).not.toBe(second.cardId);
      expect(await s.claim("o3", "sku-a")).toEqual({ kind: "out_of_stock" });
      expect(await s.claim("o4", "sku-unknown")).toEqual({ kind: "out_of_stock" });
      expect(await s.stock("sku-a")).toBe(0);
      expect(await s.stock("sku-b")).toBe(1);
    });

    it("gives an owner the same card on every claim, before and after delivery", async () => {
      const s = await fresh();
      await s.importCards("sku-a", ["A1", "A2", "A3"]);
      const card = claimed(await s.claim("o1", "sku-a"));
      expect(await s.claim("o1", "sku-a")).toEqual({ kind: "claimed", card, delivered: false });
      expect(await s.stock("sku-a")).toBe(2);
      expect(await s.deliver("o1", card.cardId)).toEqual(OK);
      // Recovery learns from the claim that the card was delivered before a crash.
      expect(await s.claim("o1", "sku-a")).toEqual({ kind: "claimed", card, delivered: true });
      expect(await s.stock("sku-a")).toBe(2);
      const other = await s.claim("o1", "sku-b");
      expect(other.kind).toBe("error");
    });

    it("releases only the owner's undelivered card; the owner may then claim anew", async () => {
      const s = await fresh();
      await s.importCards("sku-a", ["A1", "A2"]);
      const card = claimed(await s.claim("o1", "sku-a"));
      expect((await s.release("o2", card.cardId)).kind).toBe("error");
      expect(await s.release("o1", card.cardId)).toEqual(OK);
      expect(await s.stock("sku-a")).toBe(2);
      expect((await s.release("o1", card.cardId)).kind).toBe("error");
      // The released card is the lowest free one again, so the next claimant gets it.
      const again = claimed(await s.claim("o2", "sku-a"));
      expect(again).toEqual(card);
      const anew = claimed(await s.claim("o1", "sku-a"));
      expect(anew.code).toBe("A2");
      expect((await s.release("o1", "no-such-card")).kind).toBe("error");
      expect((await s.release("o1", "999999")).kind).toBe("error");
    });

    it("delivers only to the owner, idempotently, and never frees or reissues a delivered card", async () => {
      const s = await fresh();
      await s.importCards("sku-a", ["A1"]);
      const card = claimed(await s.claim("o1", "sku-a"));
      expect((await s.deliver("o2", card.cardId)).kind).toBe("error");
      expect(await s.deliver("o1", card.cardId)).toEqual(OK);
      expect(await s.deliver("o1", card.cardId)).toEqual(OK);
      expect((await s.release("o1", card.cardId)).kind).toBe("error");
      expect(await s.stock("sku-a")).toBe(0);
      expect(await s.claim("o2", "sku-a")).toEqual({ kind: "out_of_stock" });
      expect((await s.transfer(card.cardId, "o1", "o3")).kind).toBe("error");
      expect((await s.deliver("o1", "424242")).kind).toBe("error");
    });

    it("transfers a cache slot's card to an order, only from the current owner", async () => {
      const s = await fresh();
      await s.importCards("sku-a", ["A1", "A2", "A3"]);
      const slot = claimed(await s.claim("slot-1", "sku-a"));
      const held = claimed(await s.claim("o9", "sku-a"));
      expect(await s.stock("sku-a")).toBe(1);
      expect((await s.transfer(slot.cardId, "slot-2", "o1")).kind).toBe("error");
      // An order holds at most one card.
      expect((await s.transfer(slot.cardId, "slot-1", "o9")).kind).toBe("error");
      expect(await s.transfer(slot.cardId, "slot-1", "slot-1")).toEqual(OK);
      expect(await s.transfer(slot.cardId, "slot-1", "o1")).toEqual(OK);
      expect(claimed(await s.claim("o1", "sku-a"))).toEqual(slot);
      expect((await s.release("slot-1", slot.cardId)).kind).toBe("error");
      expect((await s.transfer(slot.cardId, "slot-1", "o2")).kind).toBe("error");
      expect((await s.transfer("no-such-card", "slot-1", "o2")).kind).toBe("error");
      // The slot holds nothing now, so it may claim a fresh card.
      const next = claimed(await s.claim("slot-1", "sku-a"));
      expect(next.code).toBe("A3");
      expect(next.cardId).not.toBe(held.cardId);
      expect(await s.deliver("o1", slot.cardId)).toEqual(OK);
      const audit = await s.audit();
      expect(audit.duplicateCards).toBe(0);
    });

    it("records an order once per idempotency key and returns the first one on a repeat", async () => {
      const s = await fresh();
      const o = order("o1", { tier: "vip", canary: true, fromCache: true, acceptedAt: 1_700_000_000_123 });
      expect(await s.recordOrder(o)).toEqual({ created: true, order: o });
      const repeat = await s.recordOrder(
        order("o1-retry", { idempotencyKey: o.idempotencyKey, sku: "sku-z" }),
      );
      expect(repeat).toEqual({ created: false, order: o });
      expect(await s.getOrder("o1")).toEqual(o);
      expect(await s.getOrder("o1-retry")).toBeUndefined();
      expect(await s.getOrderByKey(o.idempotencyKey)).toEqual(o);
      expect(await s.getOrderByKey("missing")).toBeUndefined();
      await expect(s.recordOrder(order("o1", { idempotencyKey: "other-key" }))).rejects.toThrow(/o1/);
      expect((await s.audit()).totalOrders).toBe(1);
    });

    it("patches orders field by field and refuses unknown orders and immutable fields", async () => {
      const s = await fresh();
      await s.recordOrder(order("o1"));
      await s.updateOrder("o1", { state: "QUEUED", lane: "vip", cluster: "primary" });
      await s.updateOrder("o1", {
        state: "ISSUING",
        attempts: 2,
        cardId: "7",
        cardCode: "GC-1",
        providerId: "p1",
      });
      await s.updateOrder("o1", { fromCache: true, canary: true, lane: undefined });
      const mid = await s.getOrder("o1");
      expect(mid).toMatchObject({
        state: "ISSUING",
        lane: "vip",
        cluster: "primary",
        attempts: 2,
        cardId: "7",
        cardCode: "GC-1",
        providerId: "p1",
        fromCache: true,
        canary: true,
      });
      await s.updateOrder("o1", {
        state: "FAILED",
        failureReason: "provider down",
        cardId: null,
        cardCode: null,
        finishedAt: 1_700_000_009_999,
      });
      expect(await s.getOrder("o1")).toMatchObject({
        state: "FAILED",
        failureReason: "provider down",
        cardId: null,
        cardCode: null,
        finishedAt: 1_700_000_009_999,
        acceptedAt: 1_700_000_000_000,
      });
      await expect(s.updateOrder("nope", { state: "QUEUED" })).rejects.toThrow(/nope/);
      await expect(
        s.updateOrder("o1", { sku: "other" } as unknown as Parameters<Store["updateOrder"]>[1]),
      ).rejects.toThrow(/sku/);
    });

    it("keeps integer fields whole when a clock hands it fractions of a millisecond", async () => {
      const s = await fresh();
      const r = await s.recordOrder(order("o1", { acceptedAt: 1_700_000_000_000.4 }));
      expect(r.order.acceptedAt).toBe(1_700_000_000_000);
      await s.updateOrder("o1", { state: "DELIVERED", finishedAt: 1_700_000_000_123.6, attempts: 1 });
      expect(await s.getOrder("o1")).toMatchObject({
        acceptedAt: 1_700_000_000_000,
        finishedAt: 1_700_000_000_124,
      });
    });

    it("keeps the client that placed an order and its stage timings, fractions included", async () => {
      const s = await fresh();
      const placed = order("o1", { clientId: "client-a" });
      expect((await s.recordOrder(placed)).order.clientId).toBe("client-a");
      await s.recordOrder(order("o2"));
      const timings = {
        acceptMs: 0.8125,
        queuedMs: 1.5,
        allocatingMs: 0.25,
        issuingMs: 12.375,
        retryingMs: 0,
        totalMs: 14.9375,
      };
      await s.updateOrder("o1", { state: "DELIVERED", finishedAt: 1_700_000_000_015, ...timings });
      expect(await s.getOrder("o1")).toMatchObject({ clientId: "client-a", ...timings });
      expect(await s.getOrderByKey("key-o1")).toMatchObject({ clientId: "client-a", ...timings });
      // An order recorded without a client (credentials off) and not finished has neither.
      expect(await s.getOrder("o2")).toMatchObject({
        clientId: null,
        acceptMs: null,
        queuedMs: null,
        allocatingMs: null,
        issuingMs: null,
        retryingMs: null,
        totalMs: null,
      });
      // Who placed an order is fixed when it is recorded.
      await expect(
        s.updateOrder("o1", { clientId: "client-b" } as unknown as Parameters<Store["updateOrder"]>[1]),
      ).rejects.toThrow(/clientId/);
    });

    it("lists non-terminal orders oldest first", async () => {
      const s = await fresh();
      const states = [
        "ACCEPTED",
        "DELIVERED",
        "RETRYING",
        "FAILED",
        "ISSUING",
        "REJECTED",
        "QUEUED",
      ] as const;
      for (const [i, state] of states.entries()) {
        await s.recordOrder(order(`o${i}`, { state, acceptedAt: 1_000_000 - i }));
      }
      const open = await s.nonTerminalOrders();
      expect(open.map((o) => o.orderId)).toEqual(["o6", "o4", "o2", "o0"]);
      expect(open.map((o) => o.state)).toEqual(["QUEUED", "ISSUING", "RETRYING", "ACCEPTED"]);
      expect((await s.audit()).nonTerminalOrders).toBe(4);
    });

    it("lists failed orders still holding a card, so recovery can release them", async () => {
      const s = await fresh();
      await s.importCards("sku-a", ["F1", "F2"]);
      await s.recordOrder(order("crashed-before-release"));
      const c = claimed(await s.claim("crashed-before-release", "sku-a"));
      await s.updateOrder("crashed-before-release", { state: "FAILED", cardId: c.cardId, finishedAt: 1 });
      await s.recordOrder(order("still-running"));
      claimed(await s.claim("still-running", "sku-a"));
      expect(await s.failedHoldingCards()).toEqual([{ orderId: "crashed-before-release", cardId: c.cardId }]);
      expect((await s.audit()).failedHoldingCards).toBe(1);
      expect(await s.release("crashed-before-release", c.cardId)).toEqual({ kind: "ok" });
      expect(await s.failedHoldingCards()).toEqual([]);
      expect((await s.audit()).failedHoldingCards).toBe(0);
    });

    it("audits a healthy store as clean and counts each kind of inconsistency", async () => {
      const s = await fresh();
      await s.importCards("sku-a", ["A1", "A2", "A3", "A4"]);
      // A healthy delivered order.
      await s.recordOrder(order("ok"));
      const c1 = claimed(await s.claim("ok", "sku-a"));
      await s.deliver("ok", c1.cardId);
      await s.updateOrder("ok", { state: "DELIVERED", cardId: c1.cardId, cardCode: c1.code, finishedAt: 1 });
      // A failed order that released its card, which another order then got: not a ghost.
      await s.recordOrder(order("failed-released"));
      const c2 = claimed(await s.claim("failed-released", "sku-a"));
      await s.release("failed-released", c2.cardId);
      await s.updateOrder("failed-released", { state: "FAILED", cardId: c2.cardId, finishedAt: 2 });
      await s.recordOrder(order("second-owner"));
      expect(claimed(await s.claim("second-owner", "sku-a")).cardId).toBe(c2.cardId);
      await s.deliver("second-owner", c2.cardId);
      await s.updateOrder("second-owner", { state: "DELIVERED", cardId: c2.cardId, finishedAt: 3 });
      expect(await s.audit()).toEqual({
        duplicateCards: 0,
        nonTerminalOrders: 0,
        failedHoldingCards: 0,
        deliveredWithoutCard: 0,
        totalOrders: 3,
        totalCards: 4,
      });

      // A failed order that kept its card.
      await s.recordOrder(order("failed-holding"));
      const c3 = claimed(await s.claim("failed-holding", "sku-a"));
      await s.updateOrder("failed-holding", { state: "FAILED", cardId: c3.cardId, finishedAt: 4 });
      // An order marked DELIVERED whose card was never delivered to it.
      await s.recordOrder(order("liar"));
      const c4 = claimed(await s.claim("liar", "sku-a"));
      await s.updateOrder("liar", { state: "DELIVERED", cardId: c4.cardId, finishedAt: 5 });
      // A ledger that names one card for two live orders (what a ghost card looks like from outside).
      await s.recordOrder(order("ghost", { state: "ISSUING", cardId: c1.cardId }));
      expect(await s.audit()).toEqual({
        duplicateCards: 1,
        nonTerminalOrders: 1,
        failedHoldingCards: 1,
        deliveredWithoutCard: 1,
        totalOrders: 6,
        totalCards: 4,
      });
    });

    it("fails one operation without undoing others issued at the same moment", async () => {
      const s = await fresh();
      await s.importCards("sku-a", ["A1"]);
      const [recorded, missing, claim] = await Promise.allSettled([
        s.recordOrder(order("x")),
        s.updateOrder("missing", { state: "QUEUED" }),
        s.claim("x", "sku-a"),
      ]);
      expect(recorded.status).toBe("fulfilled");
      expect(missing.status).toBe("rejected");
      expect(claim).toMatchObject({ status: "fulfilled", value: { kind: "claimed" } });
      expect((await s.getOrder("x"))?.state).toBe("ACCEPTED");
      expect(await s.stock("sku-a")).toBe(0);
    });

    it("never hands one card to two of 32 concurrent allocators", async () => {
      const s = await fresh();
      const total = factory.concurrentCards ?? 2000;
      const seeded = await seedStock(s, ["sku-hot"], total, "GC", { seed: 7 });
      expect(seeded.imported).toBe(total);
      const got: string[] = [];
      let outOfStock = 0;
      let next = 0;
      async function allocator(): Promise<void> {
        for (;;) {
          const owner = `order-${next++}`;
          const r = await s.claim(owner, "sku-hot");
          if (r.kind === "out_of_stock") {
            outOfStock++;
            return;
          }
          got.push(claimed(r).cardId);
        }
      }
      await Promise.all(Array.from({ length: 32 }, allocator));
      expect(outOfStock).toBe(32);
      expect(got.length).toBe(total);
      expect(new Set(got).size).toBe(total);
      expect(await s.stock("sku-hot")).toBe(0);
      expect((await s.audit()).duplicateCards).toBe(0);
    });

    it("gives one owner's concurrent claims one card", async () => {
      const s = await fresh();
      await s.importCards("sku-a", ["A1", "A2", "A3", "A4", "A5"]);
      const results = await Promise.all(Array.from({ length: 16 }, () => s.claim("same-owner", "sku-a")));
      const ids = new Set(results.map((r) => claimed(r).cardId));
      expect(ids.size).toBe(1);
      expect(await s.stock("sku-a")).toBe(4);
    });

    it("seeds unique card-key-shaped codes", async () => {
      const s = await fresh();
      const r = await seedStock(s, ["sku-a", "sku-b"], 300, "GC", { seed: 42 });
      expect(r).toEqual({ imported: 600, duplicates: 0, seed: 42 });
      expect((await seedStock(s, ["sku-a"], 300, "GC", { seed: 42 })).duplicates).toBe(300);
      expect((await seedStock(s, ["sku-a"], 300, "GC", { seed: 43 })).imported).toBe(300);
      expect(await s.stock("sku-a")).toBe(600);
      expect(claimed(await s.claim("o1", "sku-b")).code).toMatch(/^GC-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
      expect(cardCode("GC", 42, 0)).toBe(claimed(await s.claim("o2", "sku-a")).code);
    });

    it("refuses work after close, and the card port turns that into error results", async () => {
      const s = await fresh();
      await s.importCards("sku-a", ["A1"]);
      const port = toCardStorePort(s);
      const before = await new Promise<ClaimResult>((resolve) => port.claim("o1", "sku-a", resolve));
      expect(before.kind).toBe("claimed");
      await s.close();
      await expect(s.claim("o2", "sku-a")).rejects.toThrow(/closed/);
      const results = await Promise.all([
        new Promise<unknown>((resolve) => port.claim("o2", "sku-a", resolve)),
        new Promise<unknown>((resolve) => port.release("o1", "1", resolve)),
        new Promise<unknown>((resolve) => port.deliver("o1", "1", resolve)),
        new Promise<unknown>((resolve) => port.transfer("1", "o1", "o2", resolve)),
        new Promise<unknown>((resolve) => port.stock("sku-a", resolve)),
      ]);
      for (const r of results)
        expect(r).toMatchObject({ kind: "error", message: expect.stringMatching(/closed/) });
    });
  });
}
