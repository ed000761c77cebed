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

/**
 * Cards per SKU for a replay: what the log asks of each SKU (traffic/replay/scan.ts counts them) times the
 * loop passes, plus the same margin, capped by cardStock shared out by the log's own SKU shares.
 */
export function replayStockPlan(
  skus: [string, number][],
  passes: number,
  cardStock?: number,
): [string, number][] {
  const total = skus.reduce((sum, [, n]) => sum + n, 0);
  return skus.map(([sku, n]) => {
    const want = Math.ceil(n * passes * 1.1) + 5;
    return [
      sku,
      cardStock === undefined ? want : Math.min(want, Math.max(1, Math.round((cardStock * n) / total))),
    ];
  });
}

/** Imports the planned stock (cards per SKU rank, or per SKU name); returns the number of cards imported. */
export async function importStock(
  admin: Admin,
  plan: number[] | [string, number][],
  tag: string,
): Promise<number> {
  let imported = 0;
  for (let r = 0; r < plan.length; r++) {
    const entry = plan[r] as number | [string, number];
    const [sku, n] = typeof entry === "number" ? [skuName(r + 1), entry] : entry;
    for (let from = 0; from < n; from += BATCH) {
      const codes = Array.from({ length: Math.min(BATCH, n - from) }, (_, k) => `${tag}-${sku}-${from + k}`);
      imported += (await admin.importCards(sku, codes)).imported;
    }
  }
  return imported;
}
