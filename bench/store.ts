// Store throughput, side by side in one run: orders/s for each store under the server's pattern
// (recordOrder, claim, updateOrder with the card, deliver, updateOrder with the end; 64 in flight),
// and bare claims/s with 32 concurrent allocators. Ratios against the memory store hold on a shared
// machine where absolute figures drift. PostgreSQL runs on a throwaway cluster when its binaries exist.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore, seedStock } from "../server/store/open.ts";
import { startThrowawayPostgres, type ThrowawayPostgres } from "../server/store/pg-cluster.ts";
import type { LedgerOrder, Store } from "../server/store/types.ts";

const ORDERS = Number(process.env.BENCH_STORE_ORDERS ?? 20_000);
const IN_FLIGHT = 64;
const CLAIMERS = 32;

async function ordersPerSecond(store: Store, tag: string): Promise<number> {
  await seedStock(store, ["bench-sku"], ORDERS, "GC", { seed: 11 });
  let next = 0;
  async function worker(): Promise<void> {
    while (next < ORDERS) {
      const i = next++;
      const orderId = `${tag}-o${i}`;
      const base: LedgerOrder = {
        orderId,
        idempotencyKey: `${tag}-k${i}`,
        sku: "bench-sku",
        tier: "standard",
        state: "ACCEPTED",
        attempts: 0,
        cardId: null,
        cardCode: null,
        lane: null,
        cluster: null,
        providerId: null,
        rejectReason: null,
        failureReason: null,
        fromCache: false,
        canary: false,
        acceptedAt: Date.now(),
        finishedAt: null,
      };
      await store.recordOrder(base);
      const claim = await store.claim(orderId, "bench-sku");
      if (claim.kind !== "claimed") throw new Error(`bench: claim ${claim.kind}`);
      const { cardId, code } = claim.card;
      const patch = {
        state: "ISSUING" as const,
        attempts: 1,
        cardId,
        cardCode: code,
        lane: "default" as const,
        cluster: "primary" as const,
        providerId: "p1",
        rejectReason: null,
        failureReason: null,
        fromCache: false,
        canary: false,
        finishedAt: null,
      };
      await store.updateOrder(orderId, patch);
      await store.deliver(orderId, cardId);
      await store.updateOrder(orderId, { ...patch, state: "DELIVERED", finishedAt: Date.now() });
    }
  }
  const t0 = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const audit = await store.audit();
  if (audit.duplicateCards !== 0 || audit.deliveredWithoutCard !== 0)
    throw new Error("bench: audit not clean");
  return ORDERS / seconds;
}

async function claimsPerSecond(store: Store): Promise<number> {
  const cards = ORDERS;
  await seedStock(store, ["claim-sku"], cards, "CL", { seed: 12 });
  let next = 0;
  async function claimer(): Promise<void> {
    for (;;) {
      const r = await store.claim(`c${next++}`, "claim-sku");
      if (r.kind === "out_of_stock") return;
    }
  }
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CLAIMERS }, claimer));
  return cards / ((performance.now() - t0) / 1000);
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "rushhour-bench-store-"));
  let cluster: ThrowawayPostgres | undefined;
  const rows: { store: string; orders: number; claims: number }[] = [];
  try {
    const urls: [string, () => Promise<string>][] = [
      ["memory", async () => "memory:"],
      ["sqlite", async () => `sqlite:${join(dir, `bench-${rows.length}.db`)}`],
    ];
    try {
      cluster = await startThrowawayPostgres();
      const pgUrl = `${cluster.url}?pool=32`;
      urls.push(["postgres", async () => pgUrl]);
    } catch (error) {
      console.log(`store bench: PostgreSQL skipped (${error instanceof Error ? error.message : error})`);
    }
    for (const [name, url] of urls) {
      const a = await openStore(await url());
      const orders = await ordersPerSecond(a, name);
      await a.close();
      const b = await openStore(name === "sqlite" ? `sqlite:${join(dir, "claims.db")}` : await url());
      const claims = await claimsPerSecond(b);
      await b.close();
      rows.push({ store: name, orders, claims });
    }
  } finally {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const memory = rows[0]!;
  console.log(
    `store bench: ${ORDERS} orders (5 store calls each, ${IN_FLIGHT} in flight), ${CLAIMERS} claimers`,
  );
  console.log("store      orders/s  vs memory   claims/s  vs memory");
  for (const r of rows) {
    console.log(
      `${r.store.padEnd(9)} ${r.orders.toFixed(0).padStart(9)} ${(r.orders / memory.orders).toFixed(3).padStart(10)}` +
        ` ${r.claims.toFixed(0).padStart(10)} ${(r.claims / memory.claims).toFixed(3).padStart(10)}`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
