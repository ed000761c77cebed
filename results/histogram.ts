// A thin, synchronous wrapper over hdr-histogram-js used by both the simulator and the live driver.
// Values are latencies in milliseconds (floats allowed); they are stored as integer MICROseconds with
// 3 significant digits, so 1.234 ms and 7,000 ms both keep 0.1% precision, and the recorded range
// auto-resizes. Only the pure-JS build is used: it needs no async WASM initialisation and the
// simulator records at most a few million values per run.
import * as hdr from "hdr-histogram-js";

type HdrHistogram = ReturnType<typeof hdr.build>;

const US_PER_MS = 1000;

export class LatencyHistogram {
  private constructor(private readonly h: HdrHistogram) {}

  static create(): LatencyHistogram {
    return new LatencyHistogram(
      hdr.build({ useWebAssembly: false, numberOfSignificantValueDigits: 3, autoResize: true }),
    );
  }

  /**
   * Decodes a histogram written by `encode()`. Throws on malformed input. The decoded histogram resizes
   * like a created one: decoded at its written range, adding a histogram of a wider range threw, and so did
   * subtracting an earlier snapshot of itself whose largest value sat in its top slot (the library compares
   * that slot's lowest value with the snapshot's highest: a 524.2 ms maximum recorded before a calibrate
   * step stopped the step with "values that do not fit in this histogram's range").
   */
  static decode(base64: string): LatencyHistogram {
    if (base64 === "") return LatencyHistogram.create();
    const h = hdr.decodeFromCompressedBase64(base64, 32, false);
    h.autoResize = true;
    return new LatencyHistogram(h);
  }

  /** Records one latency in milliseconds (negative values are clamped to 0). */
  record(ms: number, count = 1): void {
    const us = ms > 0 ? Math.round(ms * US_PER_MS) : 0;
    if (count === 1) this.h.recordValue(us);
    else this.h.recordValueWithCount(us, count);
  }

  get count(): number {
    return this.h.totalCount;
  }

  /** The value at percentile `p` (0..100), in ms; 0 for an empty histogram. */
  percentile(p: number): number {
    if (this.h.totalCount === 0) return 0;
    return this.h.getValueAtPercentile(p) / US_PER_MS;
  }

  get max(): number {
    return this.h.totalCount === 0 ? 0 : this.h.maxValue / US_PER_MS;
  }

  get mean(): number {
    return this.h.totalCount === 0 ? 0 : this.h.mean / US_PER_MS;
  }

  /** Adds every value of `other` into this histogram. */
  merge(other: LatencyHistogram): this {
    this.h.add(other.h);
    return this;
  }

  /**
   * Takes away every value of `earlier` (a snapshot of the same cumulative histogram taken before this
   * one), leaving what was recorded between the two. Throws if `earlier` holds a value this one does not.
   */
  subtract(earlier: LatencyHistogram): this {
    this.h.subtract(earlier.h);
    return this;
  }

  reset(): void {
    this.h.reset();
  }

  /** Compressed base64 (the HdrHistogram V2 format, readable by other HdrHistogram ports, in µs). */
  encode(): string {
    return hdr.encodeIntoCompressedBase64(this.h);
  }

  /** Fraction of recorded values strictly greater than `ms` (to histogram precision). */
  fractionAbove(ms: number): number {
    const total = this.h.totalCount;
    return total === 0 ? 0 : this.countAbove(ms) / total;
  }

  /** Number of recorded values strictly greater than `ms` (to histogram precision). */
  countAbove(ms: number): number {
    const us = Math.round(ms * US_PER_MS);
    let atOrBelow = 0;
    this.forEachValue((valueMs, count) => {
      if (Math.round(valueMs * US_PER_MS) <= us) atOrBelow += count;
    });
    return this.h.totalCount - atOrBelow;
  }

  /** Every recorded value (ms, the top of its bucket) with its count, ascending. */
  forEachValue(fn: (ms: number, count: number) => void): void {
    if (this.h.totalCount === 0) return;
    // The pure-JS build is a JsHistogram, whose recorded-values iterator gives exact bucket counts.
    const it = (this.h as unknown as hdr.JsHistogram).recordedValuesIterator;
    it.reset();
    while (it.hasNext()) {
      const v = it.next();
      fn(v.valueIteratedTo / US_PER_MS, v.countAtValueIteratedTo);
    }
  }
}

/** Merges encoded histograms into one (e.g. workers or replications). */
export function mergeEncoded(encoded: readonly string[]): LatencyHistogram {
  const out = LatencyHistogram.create();
  for (const e of encoded) out.merge(LatencyHistogram.decode(e));
  return out;
}
