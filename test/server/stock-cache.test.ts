// The stock cache in front of a real memory store: fewer inventory queries, counts kept current by claims.
import { describe, expect, it } from "vitest";
import type { CardStorePort } from "../../server/core/ports.ts";
import { withStockCache } from "../../server/stock-cache.ts";
import { MemoryStore } from "../../server/store/memory.ts";
import { toCardStorePort } from "../../server/store/open.ts";

async function setup() {
  const store = new MemoryStore();
  await store.importCards("sku-a", ["A1", "A2", "A3", "A4"]);
  const port = toCardStorePort(store);
  let queries = 0;
  const counted: CardStorePort = {
    ...port,
    stock: (sku, done) => {
      queries++;
      port.stock(sku, done);
    },
  };
  let clock = 0;
  const cached = withStockCache(counted, 50, () => clock);
  const stock = () =>
    new Promise<number>((resolve, reject) =>
      cached.stock("sku-a", (r) => (r.kind === "ok" ? resolve(r.free) : reject(new Error(r.message)))),
    );
  const claim = (owner: string) => new Promise((resolve) => cached.claim(owner, "sku-a", resolve));
  return { store, stock, claim, queries: () => queries, advance: (ms: number) => (clock += ms) };
}

describe("withStockCache", () => {
  it("answers repeated checks within the TTL from one query, concurrent ones included", async () => {
    const s = await setup();
    expect(await Promise.all([s.stock(), s.stock(), s.stock()])).toEqual([4, 4, 4]);
    expect(await s.stock()).toBe(4);
    expect(s.queries()).toBe(1);
  });

  it("counts claims made through it, and asks the store again after the TTL", async () => {
    const s = await setup();
    expect(await s.stock()).toBe(4);
    await s.claim("o1");
    await s.claim("o2");
    expect(await s.stock()).toBe(2);
    expect(s.queries()).toBe(1);
    s.advance(50);
    expect(await s.stock()).toBe(2);
    expect(s.queries()).toBe(2);
  });

  it("drops to zero when a claim finds no stock, and asks the store again while the count is zero", async () => {
    const s = await setup();
    expect(await s.stock()).toBe(4);
    for (const o of ["o1", "o2", "o3", "o4", "o5"]) await s.claim(o);
    expect(s.queries()).toBe(1);
    expect(await s.stock()).toBe(0);
    expect(s.queries()).toBe(2);
    // Cards imported within the TTL (here, or through another instance) are seen at once: a zero
    // would fail orders as out of stock.
    await s.store.importCards("sku-a", ["A5", "A6"]);
    expect(await s.stock()).toBe(2);
    expect(s.queries()).toBe(3);
    expect(await s.stock()).toBe(2);
    expect(s.queries()).toBe(3);
  });
});
