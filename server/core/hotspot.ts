// Online hot-SKU detection: a Space-Saving heavy-hitter sketch (Metwally et al.) with exponential
// decay. `capacity` counters; an unseen SKU evicts the smallest counter and inherits its count as
// error, so any SKU with a share above 1/capacity is always tracked. Decay is lazy: a new order
// weighs 2^((now - epoch) / halfLife), so older orders count for half per half-life, without
// touching every counter; weights are renormalised before they grow large. Memory: capacity counters
// and an index of at most 4 x capacity SKUs.
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

/** The index may hold this many entries per counter (live and stale) before it is rebuilt. */
const STALE_FACTOR = 4;

export class HotSkuTracker {
  // Counters in flat arrays: a miss scans `counts` for the minimum, which is a tight loop over a
  // Float64Array (the sketch sits on the path of every order).
  /**
   * SKU -> counter slot. An evicted SKU's entry is left in place (the slot's `skus` entry tells
   * whose it is now) and overwritten if the SKU comes back: deleting and re-adding an entry on every
   * eviction made V8 churn the map's table, and evictions come with every sixth order or so when the
   * catalogue has more SKUs than counters. Rebuilt when it grows past STALE_FACTOR x capacity.
   */
  private readonly index = new Map<string, number>();
  private skus: string[] = [];
  private counts = new Float64Array(0);
  private errors = new Float64Array(0);
  private readonly hot = new Set<string>();
  /** 1 where the slot's SKU is in `hot`: the per-order check reads this instead of the set. */
  private hotSlot = new Uint8Array(0);
  private total = 0;
  private epoch = 0;
  private started = false;
  /** The last instant weighed and its weight. */
  private weightAt = Number.NaN;
  private weightNow = 1;

  constructor(
    private config: HotSkuConfig,
    private readonly onHot: (sku: string, share: number) => void,
  ) {
    this.counts = new Float64Array(config.capacity);
    this.errors = new Float64Array(config.capacity);
    this.hotSlot = new Uint8Array(config.capacity);
  }

  /** The slot counting `sku`, if it is tracked. */
  private slotOf(sku: string): number | undefined {
    const i = this.index.get(sku);
    return i !== undefined && this.skus[i] === sku ? i : undefined;
  }

  private resize(): void {
    const k = this.config.capacity;
    if (this.counts.length === k) return;
    const old = this.top();
    this.index.clear();
    this.skus = [];
    this.counts = new Float64Array(k);
    this.errors = new Float64Array(k);
    this.hotSlot = new Uint8Array(k);
    const scale = this.total;
    const kept = old.slice(0, k);
    // A hot SKU the smaller sketch no longer tracks stops being hot (its share would read 0).
    const keptSkus = new Set(kept.map((s) => s.sku));
    for (const sku of [...this.hot]) if (!keptSkus.has(sku)) this.hot.delete(sku);
    for (const { sku, share } of kept) {
      const i = this.skus.length;
      this.index.set(sku, i);
      this.counts[i] = share * scale;
      this.hotSlot[i] = this.hot.has(sku) ? 1 : 0;
      this.skus.push(sku);
    }
  }

  setConfig(config: HotSkuConfig): void {
    this.config = config;
    this.weightAt = Number.NaN; // the half-life may have changed
    this.resize();
    if (!config.enabled) {
      this.hot.clear();
      this.hotSlot.fill(0);
    }
  }

  private weight(now: number): number {
    // Orders often share an instant (a burst, or a bench that advances its clock in steps): the power
    // is computed once per instant.
    if (now === this.weightAt) return this.weightNow;
    if (!this.started) {
      this.started = true;
      this.epoch = now;
    }
    let w = 2 ** ((now - this.epoch) / this.config.halfLifeMs);
    if (w > 1e6) {
      for (let i = 0; i < this.skus.length; i++) {
        this.counts[i]! /= w;
        this.errors[i]! /= w;
      }
      this.total /= w;
      this.epoch = now;
      w = 1;
    }
    this.weightAt = now;
    this.weightNow = w;
    return w;
  }

  /** Counts one order of `sku`. */
  record(sku: string, now: number): void {
    if (!this.config.enabled) return;
    const w = this.weight(now);
    this.total += w;
    let i = this.index.get(sku);
    if (i !== undefined && this.skus[i] === sku) this.counts[i]! += w;
    else if (this.skus.length < this.counts.length) {
      i = this.skus.length;
      this.skus.push(sku);
      this.index.set(sku, i);
      this.counts[i] = w;
      this.errors[i] = 0;
    } else {
      const counts = this.counts;
      let min = 0;
      let minCount = counts[0]!;
      for (let j = 1; j < counts.length; j++) {
        const c = counts[j]!;
        if (c < minCount) {
          minCount = c;
          min = j;
        }
      }
      i = min;
      if (this.hotSlot[i] === 1) {
        this.hot.delete(this.skus[i]!);
        this.hotSlot[i] = 0;
      }
      this.skus[i] = sku;
      this.index.set(sku, i);
      if (this.index.size > STALE_FACTOR * counts.length) this.reindex();
      this.errors[i] = minCount;
      counts[i] = minCount + w;
    }
    if (this.hotSlot[i] === 0) {
      const count = this.counts[i]!;
      const share = count / this.total;
      if (share >= this.config.hotShare && (count - this.errors[i]!) / w >= this.config.minCount) {
        this.hot.add(sku);
        this.hotSlot[i] = 1;
        this.onHot(sku, share);
      }
    }
  }

  /** Drops the stale entries of evicted SKUs from the index. */
  private reindex(): void {
    this.index.clear();
    for (let i = 0; i < this.skus.length; i++) this.index.set(this.skus[i]!, i);
  }

  /** Decayed share of recent orders (an upper bound: count / total). */
  share(sku: string): number {
    const i = this.slotOf(sku);
    return i === undefined || this.total === 0 ? 0 : this.counts[i]! / this.total;
  }

  isHot(sku: string): boolean {
    return this.hot.has(sku);
  }

  /** The hot SKUs now, hottest first; cools SKUs whose share fell below hotShare / 2. */
  hotList(_now: number): { sku: string; share: number }[] {
    const out: { sku: string; share: number }[] = [];
    for (const sku of this.hot) {
      const share = this.share(sku);
      if (share < this.config.hotShare / 2) {
        this.hot.delete(sku);
        const i = this.slotOf(sku);
        if (i !== undefined) this.hotSlot[i] = 0;
      } else out.push({ sku, share });
    }
    return out.sort((a, b) => b.share - a.share);
  }

  /** The tracked SKUs with their shares, largest first (what the prewarmer spreads its cache over). */
  top(): { sku: string; share: number }[] {
    const out: { sku: string; share: number }[] = [];
    for (let i = 0; i < this.skus.length; i++) {
      out.push({ sku: this.skus[i]!, share: this.total === 0 ? 0 : this.counts[i]! / this.total });
    }
    return out.sort((a, b) => b.share - a.share);
  }
}
