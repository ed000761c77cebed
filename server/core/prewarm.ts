// Prewarming: the forecaster predicts the next peak; before it, card keys are pre-issued into a
// cache, and hot SKUs get their inventory check served from memory.
//
// Cache target: predictedPeakPerMinute = the largest Holt-Winters forecast over the next
// `horizonMinutes` minutes; the cache target is ceil(ratio x predictedPeakPerMinute) cards in all,
// spread over the SKUs the hot-SKU sketch tracks with a share >= hotShare / 2, in proportion to
// their shares (each rounded up, the total capped at the target). Cached cards are never released
// when the forecast drops: the cache shrinks only by serving orders. Pre-issuing runs on the core timer, only while smoothed
// load is below `maxLoad`, at most `ratePerSecond` cards per second (a token bucket): claim with
// owner "cache:<n>", issue through a provider (orderId "cache:<n>"), then keep the card; a failure
// releases the card. An order served from the cache: store.transfer to the order, no provider call.
//
// Hot-SKU preload: for every hot SKU, the free stock is read from the store every `refreshMs` and
// kept in memory; the order's stock check is served from it (decremented on each claim).
import type { DispatchConfig } from "./config.ts";
import type { Environment } from "./env.ts";
import { HoltWinters } from "./forecast.ts";
import type { HotSkuTracker } from "./hotspot.ts";
import type { Card, CardStorePort } from "./ports.ts";

export interface CachedCard {
  card: Card;
  owner: string;
}

export interface PrewarmDeps {
  env: Environment;
  store: CardStorePort;
  /** Issues a card through a provider (with the core's timeout); done(true) when issued. */
  issue: (request: { orderId: string; sku: string; cardId: string }, done: (ok: boolean) => void) => void;
}

const MINUTE = 60000;

export class Prewarmer {
  private forecaster: HoltWinters;
  private readonly cache = new Map<string, CachedCard[]>();
  private readonly targets = new Map<string, number>();
  /** Free stock of each preloaded hot SKU, in a record decremented in place on each claim. */
  private readonly preloaded = new Map<string, { free: number }>();
  private readonly refreshing = new Set<string>();
  private lastRefresh = Number.NEGATIVE_INFINITY;
  private cacheSize = 0;
  private inFlight = 0;
  private tokens = 0;
  private lastTick = Number.NaN;
  private lastPlan = Number.NEGATIVE_INFINITY;
  private seq = 0;
  private minuteIndex = 0;
  private minuteCount = 0;
  private hasHistory = false;
  private stopped = false;
  predictedPeakPerMinute = 0;

  constructor(
    private config: DispatchConfig,
    private readonly deps: PrewarmDeps,
  ) {
    const p = config.prewarm;
    this.forecaster = new HoltWinters(p.seasonMinutes, p.alpha, p.beta, p.gamma);
  }

  setConfig(config: DispatchConfig): void {
    const p = config.prewarm;
    if (p.seasonMinutes !== this.forecaster.seasonLength) {
      this.forecaster = new HoltWinters(p.seasonMinutes, p.alpha, p.beta, p.gamma);
      this.hasHistory = false;
    } else this.forecaster.setSmoothing(p.alpha, p.beta, p.gamma);
    this.config = config;
    if (!config.hotSku.enabled) this.preloaded.clear();
  }

  /**
   * Whether prewarm has work (keeps the core timer running in an idle period): calls outstanding,
   * or the cache below its target while pre-issuing still succeeds.
   */
  get busy(): boolean {
    if (this.inFlight > 0) return true;
    if (!this.config.prewarm.enabled || this.failuresInRow >= 10) return false;
    if (this.cacheSize >= this.totalTarget) return false;
    for (const [sku, target] of this.targets) if ((this.cache.get(sku)?.length ?? 0) < target) return true;
    return false;
  }

  private failuresInRow = 0;

  loadHistory(perMinute: number[], now: number): void {
    this.forecaster.fit(perMinute);
    this.hasHistory = perMinute.length > 0;
    this.minuteIndex = Math.floor(now / MINUTE);
    this.minuteCount = 0;
    this.plan();
  }

  /** Counts one order into the current minute (the live demand the forecaster keeps learning from). */
  countOrder(now: number): void {
    this.rollMinutes(now);
    this.minuteCount++;
  }

  private rollMinutes(now: number): void {
    const minute = Math.floor(now / MINUTE);
    if (minute <= this.minuteIndex) return;
    if (this.hasHistory) {
      this.forecaster.update(this.minuteCount);
      // Idle minutes count as zero demand; a long gap is bounded to one season of updates.
      const gap = Math.min(minute - this.minuteIndex - 1, this.forecaster.seasonLength);
      for (let i = 0; i < gap; i++) this.forecaster.update(0);
    }
    this.minuteIndex = minute;
    this.minuteCount = 0;
  }

  take(sku: string): CachedCard | undefined {
    if (this.cacheSize === 0) return undefined; // most of the time: no lookup on the order's path
    const list = this.cache.get(sku);
    if (list === undefined || list.length === 0) return undefined;
    this.cacheSize--;
    return list.pop();
  }

  preloadedStock(sku: string): number | undefined {
    return this.preloaded.get(sku)?.free;
  }

  isPreloaded(sku: string): boolean {
    return this.preloaded.has(sku);
  }

  noteClaimed(sku: string): void {
    const stock = this.preloaded.get(sku);
    if (stock !== undefined) stock.free--;
  }

  private plan(): void {
    const p = this.config.prewarm;
    this.predictedPeakPerMinute = this.hasHistory ? this.forecaster.peak(p.horizonMinutes) : 0;
  }

  /** Runs on the core timer: minute rollover, forecast, preload refresh, pre-issue. */
  tick(now: number, load: number, hot: HotSkuTracker): void {
    if (this.stopped) return;
    this.rollMinutes(now);
    const p = this.config.prewarm;
    const dt = Number.isNaN(this.lastTick) ? 0 : now - this.lastTick;
    this.lastTick = now;
    if (this.config.hotSku.enabled && now - this.lastRefresh >= this.config.hotSku.refreshMs) {
      this.lastRefresh = now;
      this.refreshPreloads(hot, now);
    }
    if (!p.enabled) return;
    if (now - this.lastPlan >= p.intervalMs) {
      this.lastPlan = now;
      this.plan();
      this.updateTargets(hot);
    }
    this.tokens = Math.min(Math.max(1, p.ratePerSecond), this.tokens + (p.ratePerSecond * dt) / 1000);
    if (load >= p.maxLoad) return;
    let total = this.cacheSize + this.inFlight;
    for (const [sku, target] of this.targets) {
      let have = (this.cache.get(sku)?.length ?? 0) + this.pendingFor(sku);
      while (have < target && total < this.totalTarget && this.tokens >= 1) {
        this.tokens -= 1;
        have++;
        total++;
        this.preIssue(sku);
      }
    }
  }

  private readonly pending = new Map<string, number>();
  /** ceil(ratio x predicted peak per minute): the whole cache never grows beyond it. */
  private totalTarget = 0;

  private pendingFor(sku: string): number {
    return this.pending.get(sku) ?? 0;
  }

  private updateTargets(hot: HotSkuTracker): void {
    // The epsilon keeps float noise (1000.0000001 x 0.2) from adding a card.
    this.totalTarget = Math.max(0, Math.ceil(this.config.prewarm.ratio * this.predictedPeakPerMinute - 1e-9));
    this.targets.clear();
    if (this.totalTarget <= 0) return;
    const candidates = hot.top().filter((s) => s.share >= this.config.hotSku.hotShare / 2);
    const sum = candidates.reduce((a, s) => a + s.share, 0);
    if (sum <= 0) return;
    for (const s of candidates) this.targets.set(s.sku, Math.ceil((this.totalTarget * s.share) / sum));
  }

  private preIssue(sku: string): void {
    const owner = `cache:${++this.seq}`;
    this.inFlight++;
    this.pending.set(sku, this.pendingFor(sku) + 1);
    const settle = () => {
      this.inFlight--;
      this.pending.set(sku, this.pendingFor(sku) - 1);
    };
    this.deps.store.claim(owner, sku, (result) => {
      if (result.kind !== "claimed") {
        settle();
        this.failuresInRow++;
        return;
      }
      const card = result.card;
      this.deps.issue({ orderId: owner, sku, cardId: card.cardId }, (ok) => {
        settle();
        this.failuresInRow = ok ? 0 : this.failuresInRow + 1;
        if (ok && !this.stopped) {
          let list = this.cache.get(sku);
          if (list === undefined) {
            list = [];
            this.cache.set(sku, list);
          }
          list.push({ card, owner });
          this.cacheSize++;
        } else this.deps.store.release(owner, card.cardId, () => {});
      });
    });
  }

  private refreshPreloads(hot: HotSkuTracker, now: number): void {
    const hotNow = new Set(hot.hotList(now).map((h) => h.sku));
    for (const sku of this.preloaded.keys()) if (!hotNow.has(sku)) this.preloaded.delete(sku);
    for (const sku of hotNow) {
      if (this.refreshing.has(sku)) continue;
      this.refreshing.add(sku);
      this.deps.store.stock(sku, (result) => {
        this.refreshing.delete(sku);
        if (result.kind === "ok" && !this.stopped) this.preloaded.set(sku, { free: result.free });
      });
    }
  }

  snapshot(): { cacheSize: number; cacheTarget: number; predictedPeakPerMinute: number } {
    return {
      cacheSize: this.cacheSize,
      cacheTarget: this.totalTarget,
      predictedPeakPerMinute: this.predictedPeakPerMinute,
    };
  }

  stop(): void {
    this.stopped = true;
  }
}
