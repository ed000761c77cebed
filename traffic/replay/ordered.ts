// An order log's records in time order, streamed: up to `readAhead` records are held, so records out of
// order by fewer than `readAhead` lines are re-sorted; a record earlier than one already handed out stops
// the read with its line number (it cannot be placed any more). Held records are split in two: the run of
// records that arrived in order (a FIFO: O(1) each, most of a recorded log) and the ones that arrived
// early (a min-heap on (time, line), small: only records within the log's disorder). The next record is
// the smaller of the two heads. A single 10,000-record heap cost a third of the parse time.
import { type LineParser, type LogReadOptions, type LogRecord, lineParser, OrderLogError } from "./format.ts";
import { LineReader } from "./lines.ts";

export const DEFAULT_READ_AHEAD = 10_000;

function before(a: LogRecord, b: LogRecord): boolean {
  return a.t < b.t || (a.t === b.t && a.line < b.line);
}

export class OrderedRecords {
  private readonly reader: LineReader;
  private parser: LineParser | null = null;
  private readonly heap: LogRecord[] = [];
  /**
   * Records that arrived in order: a ring of `size` slots, `count` of them held from `head` on (a fixed
   * ring: no copying as records are taken, and no array growth).
   */
  private ring: (LogRecord | null)[] = [];
  private head = 0;
  private count = 0;
  private lastT = Number.NEGATIVE_INFINITY;
  private lastLine = 0;
  private drained = false;

  constructor(
    readonly file: string,
    private readonly options: LogReadOptions & { readAhead?: number },
  ) {
    try {
      this.reader = new LineReader(file);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new OrderLogError(file, null, `cannot read the order log (${e.code ?? e.message})`);
    }
  }

  /** The next record in time order, or null at the end. Throws OrderLogError for a bad or late line. */
  next(): LogRecord | null {
    const limit = this.options.readAhead ?? DEFAULT_READ_AHEAD;
    while (!this.drained && this.heap.length + this.count < limit) {
      const line = this.readLine();
      if (line === null) this.drained = true;
      else this.hold(line);
    }
    const r = this.take();
    if (r === null) return null;
    if (r.t < this.lastT) {
      throw new OrderLogError(
        this.file,
        r.line,
        `out of order: its time is ${this.lastT - r.t} ms before line ${this.lastLine}'s, further back than the read-ahead of ${limit} records (raise traffic.readAhead or sort the log)`,
      );
    }
    this.lastT = r.t;
    this.lastLine = r.line;
    return r;
  }

  close(): void {
    this.reader.close();
  }

  private readLine(): LogRecord | null {
    for (;;) {
      let line: string | null;
      try {
        line = this.reader.next();
      } catch (err) {
        throw new OrderLogError(
          this.file,
          this.reader.lineNo + 1,
          `cannot be read: ${(err as Error).message}`,
        );
      }
      if (line === null) return null;
      const lineNo = this.reader.lineNo;
      if (this.parser === null) this.parser = lineParser(this.file, this.options, line);
      const r = this.parser(line, lineNo);
      if (r === null) continue;
      if (typeof r === "string") throw new OrderLogError(this.file, lineNo, r);
      return r;
    }
  }

  private hold(r: LogRecord): void {
    const ring = this.ring;
    const size = ring.length;
    const last = this.count > 0 ? (ring[(this.head + this.count - 1) % size] as LogRecord) : null;
    if (last !== null && r.t < last.t) {
      this.push(r);
      return;
    }
    if (this.count === size) this.grow();
    const slots = this.ring;
    slots[(this.head + this.count) % slots.length] = r;
    this.count++;
  }

  /** Doubles the ring (it starts small: most logs need far fewer slots than the read-ahead allows). */
  private grow(): void {
    const old = this.ring;
    const next: (LogRecord | null)[] = new Array(Math.max(64, old.length * 2)).fill(null);
    for (let k = 0; k < this.count; k++) next[k] = old[(this.head + k) % old.length] as LogRecord;
    this.ring = next;
    this.head = 0;
  }

  private take(): LogRecord | null {
    const inRun = this.count > 0 ? (this.ring[this.head] as LogRecord) : null;
    const top = this.heap.length > 0 ? (this.heap[0] as LogRecord) : null;
    if (inRun !== null && (top === null || before(inRun, top))) {
      this.ring[this.head] = null;
      this.head = (this.head + 1) % this.ring.length;
      this.count--;
      return inRun;
    }
    return this.pop();
  }

  private push(r: LogRecord): void {
    const h = this.heap;
    let i = h.length;
    h.push(r);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(r, h[p] as LogRecord)) break;
      h[i] = h[p] as LogRecord;
      i = p;
    }
    h[i] = r;
  }

  private pop(): LogRecord | null {
    const h = this.heap;
    if (h.length === 0) return null;
    const top = h[0] as LogRecord;
    const last = h.pop() as LogRecord;
    if (h.length > 0) {
      let i = 0;
      const n = h.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && before(h[r] as LogRecord, h[l] as LogRecord) ? r : l;
        if (!before(h[c] as LogRecord, last)) break;
        h[i] = h[c] as LogRecord;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}
