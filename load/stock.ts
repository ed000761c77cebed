// Card stock for a live run: each SKU gets what the run's own order mix will ask of it (plus a
// margin), capped by the scenario's live.cardStock shared out by popularity, so a run never fails
// for want of cards unless the scenario says so. Imported through AdminService.ImportCards.
import type { Admin } from "./admin.ts";
import { type RequestMix, skuName } from "./request-mix.ts";

const BATCH = 5000;

/** Cards per SKU rank (index 0 = rank 1) for `orders` orders of `mix`. */
export function stockPlan(mix: RequestMix, orders: number, cardStock?: number): number[] {
  const demand = new Array<number>(mix.spec.skuCount).fill(0);
  for (let i = 0; i < orders; i++) {
    const r = mix.rankAt(i) - 1;
    demand[r] = (demand[r] as number) + 1;
  }
  const shares = mix.shares();
  return demand.map((d, r) => {
    const want = Math.ceil(d * 1.1) + 5;
    if (cardStock === undefined) return want;
    return Math.min(want, Math.max(1, Math.round(cardStock * (shares[r] as number))));
  });
}

/** Imports the planned stock; returns the number of cards imported. */
export async function importStock(admin: Admin, plan: number[], tag: string): Promise<number> {
  let imported = 0;
  for (let r = 0; r < plan.length; r++) {
    const sku = skuName(r + 1);
    const n = plan[r] as number;
    for (let from = 0; from < n; from += BATCH) {
      const codes = Array.from({ length: Math.min(BATCH, n - from) }, (_, k) => `${tag}-${sku}-${from + k}`);
      imported += (await admin.importCards(sku, codes)).imported;
    }
  }
  return imported;
}
