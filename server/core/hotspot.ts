// Online hot-SKU detection: a Space-Saving heavy-hitter sketch (Metwally et al.) with exponential
// decay. `capacity` counters; an unseen SKU evicts the smallest counter and inherits its count as
// error, so any SKU with a share above 1/capacity is always tracked. Decay is lazy: a new order
// weighs 2^((now - epoch) / halfLife), so older orders count for half per half-life, without
// touching every counter; weights are renormalised before they grow large. Memory: capacity counters.
//
// A SKU is hot when its share of recent (decayed) orders reaches hotShare and its decayed count
// reaches minCount. The share uses the counter (an overestimate by at most total / capacity, the
// Space-Saving bound), so with capacity >= 10 / hotShare a SKU flagged hot truly has at least 90% of
// hotShare. Detection time: a SKU jumping to a share s of new traffic reaches hotShare after
// t = -halfLife x log2(1 - hotShare / s) (0.58 half-lives for s = 0.3, hotShare = 0.1).
// It it raises one "hot-sku" event and stays hot until its share drops
// below hotShare / 2 (hysteresis, so it does not alert on every order).
import type { DispatchConfig } from "./config.ts";

export type HotSkuConfig = DispatchConfig["hotSku"];

interface Counter {
  count: number;
  error: number;
}

export class HotSkuTracker {
  private readonly counters = new Map<string, Counter>();
  private readonly hot = new Set<string>();
  private total = 0;
  private epoch = 0;
  private started = false;

  constructor(
    private config: HotSkuConfig,
    private readonly onHot: (sku: string, share: number) => void,
  ) {}

  setConfig(config: HotSkuConfig): void {
    this.config = config;
    if (!config.enabled) this.hot.clear();
  }

  private weight(now: number): number {
    if (!this.started) {
      this.started = true;
      this.epoch = now;
    }
    let w = 2 ** ((now - this.epoch) / this.config.halfLifeMs);
    if (w > 1e6) {
      for (const c of this.counters.values()) {
        c.count /= w;
        c.error /= w;
      }
      this.total /= w;
      this.epoch = now;
      w = 1;
    }
    return w;
  }

  /** Counts one order of `sku`. */
  record(sku: string, now: number): void {
    if (!this.config.enabled) return;
    const w = this.weight(now);
    this.total += w;
    let c = this.counters.get(sku);
    if (c !== undefined) c.count += w;
    else if (this.counters.size < this.config.capacity) {
      c = { count: w, error: 0 };
      this.counters.set(sku, c);
    } else {
      let minSku = "";
      let min: Counter | undefined;
      for (const [key, counter] of this.counters) {
        if (min === undefined || counter.count < min.count) {
          min = counter;
          minSku = key;
        }
      }
      this.counters.delete(minSku);
      this.hot.delete(minSku);
      c = { count: min!.count + w, error: min!.count };
      this.counters.set(sku, c);
    }
    if (!this.hot.has(sku)) {
      const share = c.count / this.total;
      if (share >= this.config.hotShare && (c.count - c.error) / w >= this.config.minCount) {
        this.hot.add(sku);
        this.onHot(sku, share);
      }
    }
  }

  /** Decayed share of recent orders (an upper bound: count / total). */
  share(sku: string): number {
    const c = this.counters.get(sku);
    return c === undefined || this.total === 0 ? 0 : c.count / this.total;
  }

  isHot(sku: string): boolean {
    return this.hot.has(sku);
  }

  /** The hot SKUs now, hottest first; cools SKUs whose share fell below hotShare / 2. */
  hotList(_now: number): { sku: string; share: number }[] {
    const out: { sku: string; share: number }[] = [];
    for (const sku of this.hot) {
      const share = this.share(sku);
      if (share < this.config.hotShare / 2) this.hot.delete(sku);
      else out.push({ sku, share });
    }
    return out.sort((a, b) => b.share - a.share);
  }

  /** The tracked SKUs with their shares, largest first (what the prewarmer spreads its cache over). */
  top(): { sku: string; share: number }[] {
    const out: { sku: string; share: number }[] = [];
    for (const [sku, c] of this.counters)
      out.push({ sku, share: this.total === 0 ? 0 : c.count / this.total });
    return out.sort((a, b) => b.share - a.share);
  }
}
