// Writes orders to a store (SQLite or PostgreSQL, group commit on) as fast as it can and prints each step only after the store has
// acknowledged it ("A id" recorded, "C id card" claimed, "D id card" delivered), until it is killed.
import { acceptedOrder } from "../../../server/store/ledger-order.ts";
import { openStore } from "../../../server/store/open.ts";

const [url, sku] = [process.argv[2]!, process.argv[3]!];
const store = await openStore(url);
let next = 0;
async function writer(): Promise<void> {
  for (;;) {
    const orderId = `crash-${next++}`;
    await store.recordOrder(
      acceptedOrder({
        orderId,
        idempotencyKey: `key-${orderId}`,
        sku,
        tier: "standard",
        acceptedAt: Date.now(),
      }),
    );
    process.stdout.write(`A ${orderId}\n`);
    const claim = await store.claim(orderId, sku);
    if (claim.kind !== "claimed") return;
    process.stdout.write(`C ${orderId} ${claim.card.cardId}\n`);
    await store.deliver(orderId, claim.card.cardId);
    process.stdout.write(`D ${orderId} ${claim.card.cardId}\n`);
    await store.updateOrder(orderId, {
      state: "DELIVERED",
      cardId: claim.card.cardId,
      finishedAt: Date.now(),
    });
  }
}
await Promise.all(Array.from({ length: 16 }, writer));
