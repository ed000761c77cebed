// One allocating process for the cross-process tests: opens `stores` connections to one store URL,
// says "ready", waits for "go" on stdin, then runs `allocators` claim loops (spread over the
// connections) until the SKU is out of stock, delivering each card, and prints what it got as JSON.
import { createInterface } from "node:readline";
import { openStore } from "../../../server/store/open.ts";
import type { Store } from "../../../server/store/types.ts";

export interface ChildConfig {
  url: string;
  sku: string;
  ownerPrefix: string;
  stores: number;
  allocators: number;
  poolSize?: number;
}

export interface ChildReport {
  cards: string[];
  owners: string[];
  outOfStock: number;
  errors: string[];
}

const config = JSON.parse(process.argv[2] ?? "{}") as ChildConfig;
const stores: Store[] = [];
for (let i = 0; i < config.stores; i++) {
  stores.push(await openStore(config.url, { poolSize: config.poolSize ?? 4 }));
}
process.stdout.write("ready\n");
const lines = createInterface({ input: process.stdin });
await new Promise<void>((resolve) => lines.once("line", () => resolve()));

const report: ChildReport = { cards: [], owners: [], outOfStock: 0, errors: [] };
let next = 0;
async function allocator(index: number): Promise<void> {
  const store = stores[index % stores.length]!;
  for (;;) {
    const owner = `${config.ownerPrefix}-${next++}`;
    let r: Awaited<ReturnType<Store["claim"]>>;
    try {
      r = await store.claim(owner, config.sku);
    } catch (error) {
      report.errors.push(error instanceof Error ? error.message : String(error));
      return;
    }
    if (r.kind === "out_of_stock") {
      report.outOfStock++;
      return;
    }
    if (r.kind === "error") {
      report.errors.push(r.message);
      return;
    }
    const d = await store.deliver(owner, r.card.cardId);
    if (d.kind === "error") report.errors.push(d.message);
    report.cards.push(r.card.cardId);
    report.owners.push(owner);
  }
}
await Promise.all(Array.from({ length: config.allocators }, (_, i) => allocator(i)));
for (const s of stores) await s.close();
lines.close();
process.stdout.write(`${JSON.stringify(report)}\n`);
