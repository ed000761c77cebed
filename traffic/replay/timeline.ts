// A replay's timeline: order i (0-based over every loop pass) and its replayed time in ms from the start.
// The recorded gaps are divided by the speed (given, or solved from peakRate) and multiplied by timeScale
// (the live driver's --duration-scale). Pass p of a looped replay starts p recorded periods later.
// Shared by the simulator's arrivals and the live driver's replay plan (docs/ARCHITECTURE.md rule T1),
// so both submit the same (SKU, tier) sequence at the same relative times.
import type { Tier } from "../../server/core/types.ts";
import type { LogRecord } from "./format.ts";
import type { OrderedRecords } from "./ordered.ts";
import { busiest, type LogScan, type ReplaySource, readerOf, scanOnce, speedForPeak } from "./scan.ts";

export interface ReplayOrder {
  /** Replayed time, ms from the start of the traffic. */
  atMs: number;
  sku: string;
  tier: Tier;
  key?: string;
  /** The log line it came from. */
  line: number;
}

export interface ReplayShape {
  /** Orders over all passes. */
  count: number;
  /** ms from the start to the end of the last pass. */
  durationMs: number;
  /** Recorded ms per replayed ms at timeScale 1. */
  speed: number;
  /** The busiest 1 s of the replay, orders per second. */
  peakRatePerSec: number;
  scan: LogScan;
}

export function replayShape(source: ReplaySource): ReplayShape {
  const scan = scanOnce(source);
  const speed =
    source.peakRate !== undefined ? speedForPeak(scan, source.peakRate, source.file) : (source.speed ?? 1);
  const factor = source.timeScale / speed;
  const windowBuckets = Math.max(1, Math.round((1000 * speed) / source.timeScale / scan.bucketMs));
  return {
    count: scan.count * source.loop,
    durationMs: scan.periodMs * source.loop * factor,
    speed,
    peakRatePerSec: busiest(scan.buckets, windowBuckets),
    scan,
  };
}

/** Orders per second the replay offers at `tMs` (from the scan's buckets; 0 outside the replay). */
export function replayRateAt(source: ReplaySource, tMs: number): number {
  const shape = replayShape(source);
  if (tMs < 0 || tMs >= shape.durationMs) return 0;
  const factor = source.timeScale / shape.speed;
  const recorded = (tMs / factor) % shape.scan.periodMs;
  const b = Math.min(shape.scan.buckets.length - 1, Math.floor(recorded / shape.scan.bucketMs));
  return (shape.scan.buckets[b]! / (shape.scan.bucketMs * factor)) * 1000;
}

/** Orders replayed in [0, tMs). */
export function replayArrivals(source: ReplaySource, tMs: number): number {
  const shape = replayShape(source);
  if (tMs >= shape.durationMs) return shape.count;
  const factor = source.timeScale / shape.speed;
  const recorded = Math.max(0, tMs / factor);
  const passes = Math.floor(recorded / shape.scan.periodMs);
  const within = recorded - passes * shape.scan.periodMs;
  const upTo = Math.floor(within / shape.scan.bucketMs);
  let n = 0;
  for (let b = 0; b < upTo && b < shape.scan.buckets.length; b++) n += shape.scan.buckets[b]!;
  return passes * shape.scan.count + n;
}

/** Reads a replay's orders in order; at(i) must be called with non-decreasing i. */
export class ReplayTimeline {
  readonly shape: ReplayShape;
  private reader: OrderedRecords | null = null;
  private pass = -1;
  /** Index (within the pass) of `current`. */
  private index = -1;
  private current: LogRecord | null = null;
  private readonly factor: number;

  constructor(private readonly source: ReplaySource) {
    this.shape = replayShape(source);
    this.factor = source.timeScale / this.shape.speed;
  }

  get count(): number {
    return this.shape.count;
  }

  /** Order i (0 <= i < count). */
  at(i: number): ReplayOrder {
    const per = this.shape.scan.count;
    const pass = Math.floor(i / per);
    const index = i - pass * per;
    if (pass < this.pass || (pass === this.pass && index < this.index)) {
      throw new Error(
        `replay orders are read forwards: asked for ${i} after ${this.pass * per + this.index}`,
      );
    }
    if (pass !== this.pass) {
      this.reader?.close();
      this.reader = readerOf(this.source);
      this.pass = pass;
      this.index = -1;
    }
    const scan = this.shape.scan;
    const end = this.source.to === undefined ? Number.POSITIVE_INFINITY : scan.firstT + this.source.to;
    while (this.index < index) {
      const r = (this.reader as OrderedRecords).next();
      if (r === null || r.t >= end)
        throw new Error(`the order log ${this.source.file} changed during the replay`);
      if (r.t < scan.sliceStart) continue;
      this.current = r;
      this.index++;
    }
    const r = this.current as LogRecord;
    const order: ReplayOrder = {
      atMs: (r.t - scan.sliceStart + pass * scan.periodMs) * this.factor,
      sku: r.sku,
      tier: r.tier,
      line: r.line,
    };
    if (r.key !== undefined) order.key = r.key;
    // The last order of the last pass: nothing more will be read.
    if (i === this.count - 1) this.close();
    return order;
  }

  close(): void {
    this.reader?.close();
  }
}
