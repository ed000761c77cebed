// A generated promotion order log (seeded, so the shipped file is reproducible): an evening ramp to a peak,
// short flash-sale bursts on top, a hot-SKU shift half-way (the promoted SKU changes), a VIP surge, and the
// small disorder of a real recording (each order's time jittered by up to 20 ms, so lines are not quite in
// time order: the replay's read-ahead re-sorts them). Not a flat Poisson stream: the point of replaying a
// log is what a rate profile smooths away.
import { Xoshiro128 } from "../../server/core/random.ts";
import type { LoggedOrder } from "../../traffic/replay/writer.ts";

export interface PromoLogOptions {
  /** Orders wanted (the log holds about this many). */
  orders: number;
  /** Seconds the log spans. */
  seconds: number;
  seed: number;
  /** Epoch ms of the first second. */
  startMs: number;
  skuCount: number;
}

export const PROMO_LOG_DEFAULTS: PromoLogOptions = {
  orders: 200_000,
  seconds: 150,
  seed: 2025,
  // 2025-11-28T20:00:00Z: a Friday-evening promotion.
  startMs: Date.UTC(2025, 10, 28, 20, 0, 0),
  skuCount: 200,
};

/** Relative demand at second s of n: ramp up, plateau, ramp down, with 3x bursts of 2 s. */
function shape(s: number, n: number): number {
  const x = s / n;
  const base =
    x < 0.3 ? 0.2 + (0.8 * x) / 0.3 : x < 0.75 ? 1 : Math.max(0.15, 1 - (0.85 * (x - 0.75)) / 0.25);
  const burst = [0.35, 0.5, 0.62].some((b) => x >= b && x < b + 2 / n) ? 3 : 1;
  return base * burst;
}

/** The orders, second by second (times within a second jittered, so slightly out of order). */
export function* promoLog(o: PromoLogOptions = PROMO_LOG_DEFAULTS): Generator<LoggedOrder> {
  const rng = new Xoshiro128(o.seed);
  const weights = Array.from({ length: o.seconds }, (_, s) => shape(s, o.seconds));
  const total = weights.reduce((a, b) => a + b, 0);
  // Zipf(1.1) popularity, and the hot SKU: sku-1 until half-way, then the promoted sku-17 takes 30%.
  const cdf: number[] = [];
  let sum = 0;
  for (let k = 1; k <= o.skuCount; k++) {
    sum += 1 / k ** 1.1;
    cdf.push(sum);
  }
  const zipf = () => {
    const u = rng.next() * sum;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cdf[mid] as number) > u) hi = mid;
      else lo = mid + 1;
    }
    return lo + 1;
  };
  for (let s = 0; s < o.seconds; s++) {
    const mean = (o.orders * (weights[s] as number)) / total;
    // Normal approximation of a Poisson count (means are in the hundreds).
    const g = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
    const n = Math.max(0, Math.round(mean + Math.sqrt(mean) * g));
    const times = Array.from({ length: n }, () => rng.next() * 1000).sort((a, b) => a - b);
    const x = s / o.seconds;
    const vipShare = x >= 0.55 && x < 0.65 ? 0.3 : 0.05;
    for (const t of times) {
      const jitter = Math.round(rng.next() * 20);
      const hot = x >= 0.5 ? 17 : 1;
      const rank = rng.next() < 0.3 && x >= 0.5 ? hot : zipf();
      yield {
        t: o.startMs + s * 1000 + Math.floor(t) + jitter,
        sku: `sku-${rank}`,
        tier: rng.next() < vipShare ? "vip" : "standard",
      };
    }
  }
}
