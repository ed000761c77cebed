// One pass over an order log before a replay starts: it validates every line (a bad line stops the run
// before any load is sent), counts the orders of the slice, keeps per-bucket counts (for peakRate and the
// rate profile) and per-SKU counts (for the live driver's card stock). Memory is bounded by the read-ahead,
// the buckets (at most MAX_BUCKETS) and the distinct SKUs, not by the number of orders.
import { statSync } from "node:fs";
import type { ColumnMapping, LogFormat } from "./format.ts";
import { OrderLogError } from "./format.ts";
import { DEFAULT_READ_AHEAD, OrderedRecords } from "./ordered.ts";

/** A replay traffic as validated (traffic/schema.ts), with `file` resolved to a path. */
export interface ReplaySource {
  file: string;
  speed?: number;
  peakRate?: number;
  from?: number;
  to?: number;
  loop: number;
  readAhead: number;
  format?: LogFormat;
  header?: boolean;
  columns?: ColumnMapping;
  timeScale: number;
}

/** Bucket counts kept per scan at most; the bucket width grows for long logs. */
const MAX_BUCKETS = 4_000_000;

export interface LogScan {
  /** Orders in the slice (one pass). */
  count: number;
  /** The log's first time (ms); `from`/`to` count from here. */
  firstT: number;
  /** The slice: [sliceStart, sliceEnd) in the log's ms. */
  sliceStart: number;
  /** Recorded ms one pass of the slice spans (the next loop pass starts this much later). */
  periodMs: number;
  bucketMs: number;
  /** Orders per bucket of the slice, from sliceStart. */
  buckets: Uint32Array;
  /** Orders per SKU, most ordered first. */
  skus: [string, number][];
  vip: number;
}

export function readerOf(source: ReplaySource): OrderedRecords {
  return new OrderedRecords(source.file, {
    format: source.format,
    header: source.header,
    columns: source.columns,
    readAhead: source.readAhead ?? DEFAULT_READ_AHEAD,
  });
}

export function scanLog(source: ReplaySource): LogScan {
  // First pass: the span (to size the buckets) and every line checked.
  let reader = readerOf(source);
  let r = reader.next();
  if (r === null) throw new OrderLogError(source.file, null, "the order log holds no orders");
  const firstT = r.t;
  const sliceStart = firstT + (source.from ?? 0);
  const sliceEnd = source.to === undefined ? Number.POSITIVE_INFINITY : firstT + source.to;
  let count = 0;
  let lastT = sliceStart;
  for (; r !== null; r = reader.next()) {
    if (r.t >= sliceStart && r.t < sliceEnd) {
      count++;
      lastT = r.t;
    }
  }
  if (count === 0) {
    throw new OrderLogError(
      source.file,
      null,
      `no orders between from (${source.from ?? 0} ms) and to (${source.to ?? "the end"}) of the log`,
    );
  }
  const span = lastT - sliceStart;
  const meanGap = count > 1 && span > 0 ? span / (count - 1) : 1;
  const periodMs = source.to === undefined ? span + meanGap : sliceEnd - sliceStart;
  const bucketMs = Math.max(1, Math.ceil(periodMs / MAX_BUCKETS));
  const buckets = new Uint32Array(Math.max(1, Math.ceil(periodMs / bucketMs)));
  const skus = new Map<string, number>();
  let vip = 0;
  // Second pass: the counts.
  reader = readerOf(source);
  for (r = reader.next(); r !== null; r = reader.next()) {
    if (r.t < sliceStart) continue;
    if (r.t >= sliceEnd) break;
    const b = Math.min(buckets.length - 1, Math.floor((r.t - sliceStart) / bucketMs));
    buckets[b]!++;
    skus.set(r.sku, (skus.get(r.sku) ?? 0) + 1);
    if (r.tier === "vip") vip++;
  }
  reader.close();
  return {
    count,
    firstT,
    sliceStart,
    periodMs,
    bucketMs,
    buckets,
    skus: [...skus].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)),
    vip,
  };
}

/** The most orders in any `k` consecutive buckets. */
export function busiest(buckets: Uint32Array, k: number): number {
  let sum = 0;
  let best = 0;
  for (let i = 0; i < buckets.length; i++) {
    sum += buckets[i]!;
    if (i >= k) sum -= buckets[i - k]!;
    if (sum > best) best = sum;
  }
  return best;
}

/**
 * The speed at which the busiest 1 s of the replay holds `peakRate` orders: the shortest recorded window
 * holding that many orders is replayed in one second. Throws when the whole slice holds fewer.
 */
export function speedForPeak(scan: LogScan, peakRate: number, file: string): number {
  const n = scan.buckets.length;
  if (busiest(scan.buckets, n) < peakRate) {
    throw new OrderLogError(
      file,
      null,
      `peakRate ${peakRate}/s cannot be reached: the replayed slice holds only ${scan.count} orders`,
    );
  }
  let lo = 1;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (busiest(scan.buckets, mid) >= peakRate) hi = mid;
    else lo = mid + 1;
  }
  return (lo * scan.bucketMs) / 1000;
}

const scans = new Map<string, LogScan>();

/** scanLog, once per source and thread (engines and replications of one run share it). */
export function scanOnce(source: ReplaySource): LogScan {
  // The file's size and time stamp are in the key: a log rewritten in place is scanned again.
  let stamp = "";
  try {
    const st = statSync(source.file);
    stamp = `${st.size}:${st.mtimeMs}`;
  } catch {
    // Unreadable: scanLog names the file.
  }
  const key = JSON.stringify({ ...source, speed: 0, peakRate: 0, loop: 0, timeScale: 0, stamp });
  let s = scans.get(key);
  if (s === undefined) {
    s = scanLog(source);
    scans.set(key, s);
  }
  return s;
}
