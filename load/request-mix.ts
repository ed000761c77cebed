// What each iteration orders: a SKU drawn from a Zipf popularity law and a VIP share, as a pure
// function of (seed, iteration index). Workers that each take every n-th iteration therefore send
// exactly the orders one thread would have sent, and a rerun with the same seed sends them again.
import { CustomerTier } from "../proto/gen/rushhour/v1/common.ts";
import { type SubmitOrderRequest, WaitMode } from "../proto/gen/rushhour/v1/dispatch.ts";
import { hashString } from "../server/core/random.ts";
import type { ReplayOrder } from "../traffic/replay/timeline.ts";

export interface MixSpec {
  seed: number;
  /** SKUs sku-1..sku-N; popularity of rank r is proportional to 1 / r^zipfExponent. */
  skuCount: number;
  zipfExponent: number;
  vipShare: number;
  /** Makes idempotency keys unique per run (and per baseline/candidate). */
  keyPrefix: string;
}

/** The SKU name of popularity rank `rank` (1-based): the names `rushhour serve --skus N` sells. */
export function skuName(rank: number): string {
  return `sku-${rank}`;
}

/** A uniform number in [0, 1) for (seed, stream, i): a 32-bit avalanche hash, no state. */
export function uniformAt(seed: number, stream: number, i: number): number {
  let z =
    (seed ^
      Math.imul(stream, 0x9e3779b9) ^
      Math.imul(i, 0x85ebca6b) ^
      Math.imul(Math.floor(i / 2 ** 32), 0xc2b2ae35)) >>>
    0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x27d4eb2f) >>> 0;
  return ((z ^ (z >>> 15)) >>> 0) / 4294967296;
}

const SKU_STREAM = hashString("sku-mix");
const TIER_STREAM = hashString("vip-share");

export class RequestMix {
  private readonly cumulative: Float64Array;

  constructor(readonly spec: MixSpec) {
    this.cumulative = new Float64Array(spec.skuCount);
    let sum = 0;
    for (let r = 1; r <= spec.skuCount; r++) {
      sum += 1 / r ** spec.zipfExponent;
      this.cumulative[r - 1] = sum;
    }
    for (let k = 0; k < spec.skuCount; k++) this.cumulative[k] = (this.cumulative[k] as number) / sum;
  }

  /** Each rank's share of orders (index 0 = rank 1). */
  shares(): number[] {
    return Array.from(this.cumulative, (c, k) => c - (k === 0 ? 0 : (this.cumulative[k - 1] as number)));
  }

  /** Popularity rank (1-based) of iteration i's SKU. */
  rankAt(i: number): number {
    const u = uniformAt(this.spec.seed, SKU_STREAM, i);
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.cumulative[mid] as number) > u) hi = mid;
      else lo = mid + 1;
    }
    return lo + 1;
  }

  isVip(i: number): boolean {
    return uniformAt(this.spec.seed, TIER_STREAM, i) < this.spec.vipShare;
  }

  request(i: number): SubmitOrderRequest {
    return {
      idempotencyKey: `${this.spec.keyPrefix}-${i}`,
      sku: skuName(this.rankAt(i)),
      tier: this.isVip(i) ? CustomerTier.CUSTOMER_TIER_VIP : CustomerTier.CUSTOMER_TIER_STANDARD,
      waitMode: WaitMode.WAIT_MODE_DELIVERED,
    };
  }
}

/** A replayed order's request: the log's SKU and tier; the key is the run's (a rerun must not be deduplicated). */
export function replayRequest(order: ReplayOrder, keyPrefix: string, i: number): SubmitOrderRequest {
  return {
    idempotencyKey: `${keyPrefix}-${i}`,
    sku: order.sku,
    tier: order.tier === "vip" ? CustomerTier.CUSTOMER_TIER_VIP : CustomerTier.CUSTOMER_TIER_STANDARD,
    waitMode: WaitMode.WAIT_MODE_DELIVERED,
  };
}
