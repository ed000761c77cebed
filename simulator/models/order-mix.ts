// What each order asks for: a SKU from a Zipf mix (with optional hotspot windows where one SKU takes a
// fixed share) and a tier (VIP share, with optional surge windows). Each choice has its own stream.
import type { RandomStream } from "../../server/core/env.ts";
import type { Tier } from "../../server/core/types.ts";

export class ZipfSampler {
  private readonly cdf: Float64Array;

  constructor(
    readonly n: number,
    readonly exponent: number,
  ) {
    this.cdf = new Float64Array(n);
    let sum = 0;
    for (let k = 1; k <= n; k++) {
      sum += 1 / k ** exponent;
      this.cdf[k - 1] = sum;
    }
    for (let i = 0; i < n; i++) this.cdf[i]! /= sum;
  }

  /** A 0-based rank; rank 0 is the most popular. */
  sample(rng: RandomStream): number {
    const u = rng.next();
    const cdf = this.cdf;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Probability of a 0-based rank. */
  probability(rank: number): number {
    return rank === 0 ? this.cdf[0]! : this.cdf[rank]! - this.cdf[rank - 1]!;
  }
}

export interface TimeWindow {
  at: number;
  duration: number;
}

export interface OrderMixOptions {
  skuCount: number;
  /** Price in cents of every SKU, or by popularity rank (ranks past the end take the last); default 0. */
  priceCents?: number | readonly number[];
  zipfExponent: number;
  hotspots: (TimeWindow & { sku: number; share: number })[];
  vipShare: number;
  vipSurges: (TimeWindow & { share: number })[];
}

export function skuName(rank: number): string {
  return `sku-${String(rank + 1).padStart(4, "0")}`;
}

export class OrderMix {
  private readonly zipf: ZipfSampler;
  private readonly names: string[];
  private readonly prices = new Map<string, number>();

  constructor(
    private readonly options: OrderMixOptions,
    private readonly skuRng: RandomStream,
    private readonly vipRng: RandomStream,
  ) {
    this.zipf = new ZipfSampler(options.skuCount, options.zipfExponent);
    this.names = Array.from({ length: options.skuCount }, (_, i) => skuName(i));
    const price = options.priceCents ?? 0;
    for (let i = 0; i < this.names.length; i++) {
      const cents = typeof price === "number" ? price : price[Math.min(i, price.length - 1)]!;
      this.prices.set(this.names[i]!, cents);
    }
  }

  /** The order amount of a SKU of this mix, in cents. */
  priceOf(sku: string): number {
    return this.prices.get(sku) ?? 0;
  }

  get skus(): readonly string[] {
    return this.names;
  }

  sku(t: number): string {
    // Always two draws per order, so the SKU sequence does not shift when a hotspot starts.
    const u = this.skuRng.next();
    const rank = this.zipf.sample(this.skuRng);
    for (const h of this.options.hotspots) {
      if (t >= h.at && t < h.at + h.duration && u < h.share)
        return this.names[Math.min(h.sku, this.names.length) - 1]!;
    }
    return this.names[rank]!;
  }

  tier(t: number): Tier {
    let share = this.options.vipShare;
    for (const s of this.options.vipSurges) if (t >= s.at && t < s.at + s.duration) share = s.share;
    return this.vipRng.next() < share ? "vip" : "standard";
  }
}
