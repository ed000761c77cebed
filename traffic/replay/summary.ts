// What an order log holds, over time (`rushhour traffic <log>`): arrivals per second, the VIP share per
// second, the top SKUs' orders per bucket, and orders per minute (the demand history the prewarm
// forecaster reads, scenarios/demand.ts). Two streamed passes: totals first, then the top SKUs over time.
import type { LogReadOptions } from "./format.ts";
import { OrderedRecords } from "./ordered.ts";

export interface LogSummary {
  file: string;
  orders: number;
  vip: number;
  /** Epoch ms of the first and last order. */
  firstT: number;
  lastT: number;
  /** Orders per second from the first order's second. */
  perSecond: number[];
  vipPerSecond: number[];
  /** Orders per minute from the first order's minute. */
  perMinute: number[];
  /** Seconds per bucket of `top[].perBucket`. */
  bucketSeconds: number;
  top: { sku: string; orders: number; perBucket: number[] }[];
  /** Distinct SKUs. */
  skus: number;
}

/** Per-second series are kept for logs up to this many seconds (about 12 days). */
const MAX_SECONDS = 1_000_000;

export function summarizeLog(
  file: string,
  options: LogReadOptions & { readAhead?: number },
  topN = 5,
): LogSummary {
  let reader = new OrderedRecords(file, options);
  let r = reader.next();
  if (r === null) throw new Error(`${file}: the order log holds no orders`);
  const firstT = r.t;
  const firstSecond = Math.floor(firstT / 1000);
  const perSecond: number[] = [];
  const vipPerSecond: number[] = [];
  const skuCounts = new Map<string, number>();
  let orders = 0;
  let vip = 0;
  let lastT = firstT;
  for (; r !== null; r = reader.next()) {
    const s = Math.floor(r.t / 1000) - firstSecond;
    if (s >= MAX_SECONDS) throw new Error(`${file}:${r.line}: the log spans more than ${MAX_SECONDS} s`);
    while (perSecond.length <= s) {
      perSecond.push(0);
      vipPerSecond.push(0);
    }
    perSecond[s]!++;
    if (r.tier === "vip") {
      vipPerSecond[s]!++;
      vip++;
    }
    skuCounts.set(r.sku, (skuCounts.get(r.sku) ?? 0) + 1);
    orders++;
    lastT = r.t;
  }
  const firstMinute = Math.floor(firstT / 60_000);
  const perMinute = new Array<number>(Math.floor(lastT / 60_000) - firstMinute + 1).fill(0);
  perSecond.forEach((n, s) => {
    const m = Math.floor(((firstSecond + s) * 1000) / 60_000) - firstMinute;
    perMinute[m] = (perMinute[m] ?? 0) + n;
  });
  const ranked = [...skuCounts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, topN);
  // About 100 buckets over the log, whole seconds each.
  const bucketSeconds = Math.max(1, Math.ceil(perSecond.length / 100));
  const buckets = Math.ceil(perSecond.length / bucketSeconds);
  const index = new Map(ranked.map(([sku], k) => [sku, k]));
  const perBucket = ranked.map(() => new Array<number>(buckets).fill(0));
  reader = new OrderedRecords(file, options);
  for (r = reader.next(); r !== null; r = reader.next()) {
    const k = index.get(r.sku);
    if (k === undefined) continue;
    const b = Math.floor((Math.floor(r.t / 1000) - firstSecond) / bucketSeconds);
    perBucket[k]![b]!++;
  }
  return {
    file,
    orders,
    vip,
    firstT,
    lastT,
    perSecond,
    vipPerSecond,
    perMinute,
    bucketSeconds,
    top: ranked.map(([sku, n], k) => ({ sku, orders: n, perBucket: perBucket[k]! })),
    skus: skuCounts.size,
  };
}
