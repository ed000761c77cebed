// The live server's card port: the store's, with inventory checks (stock()) answered from a per-SKU
// count at most `ttlMs` old. A SQL COUNT over thousands of free cards per order would cost more than the
// rest of the order's store work together; the count only has to be about right, because claim() is the
// atomic truth (it answers out_of_stock itself). Claims seen through the port keep the count current
// between refreshes, so the TTL can be long (DEFAULT_STOCK_CACHE_MS): on PostgreSQL a count
// walks the SKU's free-card index and its heap rows, and refreshing 20 SKUs every 50 ms cost the database
// about a third of its CPU per order at 1,000 orders/s (server/README.md, issue 19).
//
// Only a count of 0 fails an order, and a count of 0 is never answered from the cache: cards imported or
// released since (here or through another instance) would otherwise fail orders as out of stock for up
// to the TTL. Asking the store again is cheap for a SKU with no free cards, and a sold-out SKU is exactly
// where the answer must be the truth. So a cached count that is too low (releases are not counted back)
// costs at most a store round trip, and one that is too high ends in a claim that answers out_of_stock.
import type { CardStorePort } from "./core/ports.ts";

/** serve --stock-cache-ms's default: 50 until issue 19 (server/README.md has the measurements). */
export const DEFAULT_STOCK_CACHE_MS = 1000;

interface Entry {
  free: number;
  at: number;
}

export function withStockCache(inner: CardStorePort, ttlMs: number, now: () => number): CardStorePort {
  if (ttlMs <= 0) return inner;
  const counts = new Map<string, Entry>();
  const loading = new Map<
    string,
    ((r: { kind: "ok"; free: number } | { kind: "error"; message: string }) => void)[]
  >();
  return {
    claim(ownerId, sku, done) {
      inner.claim(ownerId, sku, (result) => {
        const entry = counts.get(sku);
        if (entry !== undefined) {
          if (result.kind === "claimed") entry.free = Math.max(0, entry.free - 1);
          else if (result.kind === "out_of_stock") entry.free = 0;
        }
        done(result);
      });
    },
    transfer: (cardId, fromOwner, toOwner, done) => inner.transfer(cardId, fromOwner, toOwner, done),
    release: (ownerId, cardId, done) => inner.release(ownerId, cardId, done),
    deliver: (ownerId, cardId, done) => inner.deliver(ownerId, cardId, done),
    stock(sku, done) {
      const entry = counts.get(sku);
      if (entry !== undefined && entry.free > 0 && now() - entry.at < ttlMs) {
        const free = entry.free;
        queueMicrotask(() => done({ kind: "ok", free }));
        return;
      }
      const waiting = loading.get(sku);
      if (waiting !== undefined) {
        waiting.push(done);
        return;
      }
      const waiters = [done];
      loading.set(sku, waiters);
      inner.stock(sku, (result) => {
        loading.delete(sku);
        if (result.kind === "ok") counts.set(sku, { free: result.free, at: now() });
        for (const w of waiters) w(result);
      });
    },
  };
}
