// The live server's card port: the store's, with inventory checks (stock()) answered from a per-SKU
// count at most `ttlMs` old. A SQL COUNT over thousands of free cards per order would cost more than the
// rest of the order's store work together; the count only has to be about right, because claim() is the
// atomic truth (it answers out_of_stock itself). Claims seen through the port keep the count current.
import type { CardStorePort } from "./core/ports.ts";

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
      if (entry !== undefined && now() - entry.at < ttlMs) {
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
