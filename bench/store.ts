// Store throughput, side by side in one run: orders/s for each store under the server's pattern
// (recordOrder, claim, updateOrder with the card, deliver, updateOrder with the end; 64 in flight),
// and bare claims/s with 32 concurrent allocators. Ratios against the memory store hold on a shared
// machine where absolute figures drift. PostgreSQL runs on a throwaway cluster when its binaries exist.
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { acceptedOrder } from "../server/store/ledger-order.ts";
import { type OpenStoreOptions, openStore, seedStock } from "../server/store/open.ts";
import { startThrowawayPostgres, type ThrowawayPostgres } from "../server/store/pg-cluster.ts";
import type { Store } from "../server/store/types.ts";

const ORDERS = Number(process.env.BENCH_STORE_ORDERS ?? 20_000);
const IN_FLIGHT = 64;
const CLAIMERS = 32;

async function ordersPerSecond(store: Store, tag: string): Promise<{ perSecond: number; cpuUs: number }> {
  await seedStock(store, ["bench-sku"], ORDERS, "GC", { seed: 11 });
  let next = 0;
  async function worker(): Promise<void> {
    while (next < ORDERS) {
      const i = next++;
      const orderId = `${tag}-o${i}`;
      const base = acceptedOrder({
        orderId,
        idempotencyKey: `${tag}-k${i}`,
        sku: "bench-sku",
        tier: "standard",
        acceptedAt: Date.now(),
      });
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
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const audit = await store.audit();
  if (audit.duplicateCards !== 0 || audit.deliveredWithoutCard !== 0)
    throw new Error("bench: audit not clean");
  // This process's CPU per order: the cost the server's one thread pays (PostgreSQL's own CPU is not in it).
  return { perSecond: ORDERS / seconds, cpuUs: (cpu.user + cpu.system) / ORDERS };
}

async function claimsPerSecond(store: Store, tag: string): Promise<number> {
  const cards = ORDERS;
  await seedStock(store, [`claim-${tag}`], cards, "CL", { seed: 12 });
  let next = 0;
  async function claimer(): Promise<void> {
    for (;;) {
      const r = await store.claim(`c${next++}`, `claim-${tag}`);
      if (r.kind === "out_of_stock") return;
    }
  }
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CLAIMERS }, claimer));
  return cards / ((performance.now() - t0) / 1000);
}

interface Variant {
  name: string;
  url: () => string;
  options?: OpenStoreOptions;
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "rushhour-bench-store-"));
  let cluster: ThrowawayPostgres | undefined;
  let files = 0;
  const sqliteFile = () => `sqlite:${join(dir, `bench-${files++}.db`)}`;
  const rows: { store: string; orders: number; cpuUs: number; claims: number }[] = [];
  try {
    const variants: Variant[] = [
      { name: "memory", url: () => "memory:" },
      { name: "sqlite", url: sqliteFile },
      { name: "sqlite-1tx", url: sqliteFile, options: { groupCommit: false } },
    ];
    try {
      cluster = await startThrowawayPostgres();
      const pgUrl = `${cluster.url}?pool=32`;
      variants.push({ name: "postgres", url: () => pgUrl });
    } catch (error) {
      console.log(`store bench: PostgreSQL skipped (${error instanceof Error ? error.message : error})`);
    }
    for (const v of variants) {
      const a = await openStore(v.url(), v.options);
      const orders = await ordersPerSecond(a, v.name);
      await a.close();
      const b = await openStore(v.url(), v.options);
      const claims = await claimsPerSecond(b, v.name);
      await b.close();
      rows.push({ store: v.name, orders: orders.perSecond, cpuUs: orders.cpuUs, claims });
    }
  } finally {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const memory = rows[0]!;
  console.log(
    `store bench: ${ORDERS} orders (5 store calls each, ${IN_FLIGHT} in flight); ${CLAIMERS} claimers`,
  );
  console.log(
    `machine load average ${loadavg()[0]!.toFixed(1)} (absolute figures drift with it; ratios less so)`,
  );
  console.log("store        orders/s  vs memory  cpu us/order   claims/s  vs memory");
  for (const r of rows) {
    console.log(
      `${r.store.padEnd(11)} ${r.orders.toFixed(0).padStart(9)} ${(r.orders / memory.orders).toFixed(3).padStart(10)}` +
        ` ${r.cpuUs.toFixed(1).padStart(13)} ${r.claims.toFixed(0).padStart(10)} ${(r.claims / memory.claims).toFixed(3).padStart(10)}`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
