// A synchronous line reader over a file, gzip or plain (told by the magic bytes 1f 8b). Synchronous so
// the simulator (a synchronous event loop) and the live engine's timer loop pull records one at a time;
// memory stays bounded by one chunk plus one line whatever the file's size. A big gzip file is inflated by
// Node's zlib on a worker thread (inflate-thread.ts); a small one by fflate's streaming Gunzip in this thread,
// whose callback runs inside push() (Node's zlib has no synchronous streaming form).
//
// Speed (bench/replay.ts, parse pass): text is decoded only up to a chunk's last line break (a '\n' byte is
// never inside a UTF-8 sequence, so no streaming decoder is needed and the rest waits for the next chunk as
// bytes), and lines are cut from that text by indexOf rather than split() into an array per chunk.
// A chunk is CHUNK compressed bytes: the shipped promotion log inflates 16 KiB into about 4,500 lines, a few
// ms of work, so a fill is no visible stall in the live driver's timer loop, which reads its replay's records
// between sends (at 4,700/s, 20 ms would move about 90 orders across a second's edge: 2% of that second).
// Parse speed is the same from 16 KiB to 1 MiB chunks (measured with bench/replay.ts's parse pass).
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { Gunzip } from "fflate";
import { InflateThread } from "./inflate-thread.ts";

const CHUNK = 1 << 14;
const LF = 10;
/**
 * Gzip files from this many compressed bytes up are inflated on a worker thread by Node's zlib
 * (inflate-thread.ts): a big log's parse pass then runs at well over a million orders a second. Smaller
 * ones stay with fflate in this thread, which costs no thread start-up (tests, the shipped 0.7 MB log).
 */
export const THREAD_ABOVE_BYTES = 4 << 20;

export interface LineReaderOptions {
  /** Inflate gzip on a worker thread from this many compressed bytes (default THREAD_ABOVE_BYTES). */
  threadAbove?: number;
}

export class LineReader {
  private readonly fd: number;
  private readonly buf = Buffer.allocUnsafe(CHUNK);
  private readonly gunzip: Gunzip | null;
  private readonly thread: InflateThread | null = null;
  /** Inflated bytes of the current fill(), in order. */
  private inflated: Uint8Array[] = [];
  /** Bytes after the last line break seen: the start of a line that continues in the next chunk. */
  private carry: Buffer = Buffer.alloc(0);
  /** Decoded whole lines, and where the next one starts. */
  private text = "";
  private at = 0;
  private pos = 0;
  private eof = false;
  /** Some text was decoded (the byte-order-mark check is done). */
  private started = false;
  private closed = false;
  /** 1-based number of the line last returned by next(). */
  lineNo = 0;

  constructor(
    readonly path: string,
    options: LineReaderOptions = {},
  ) {
    this.fd = openSync(path, "r");
    const head = Buffer.alloc(2);
    const n = readSync(this.fd, head, 0, 2, 0);
    const gzip = n === 2 && head[0] === 0x1f && head[1] === 0x8b;
    if (gzip && fstatSync(this.fd).size >= (options.threadAbove ?? THREAD_ABOVE_BYTES)) {
      this.thread = new InflateThread(path);
      this.gunzip = null;
    } else {
      this.gunzip = gzip
        ? new Gunzip((data) => {
            this.inflated.push(data);
          })
        : null;
    }
  }

  /** The next line (without its line break), or null at the end of the file. */
  next(): string | null {
    while (this.at >= this.text.length) {
      if (this.eof) {
        this.close();
        return null;
      }
      this.fill();
    }
    const text = this.text;
    let end = text.indexOf("\n", this.at);
    if (end < 0) end = text.length;
    const stop = end > this.at && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    const line = text.slice(this.at, stop);
    this.at = end + 1;
    this.lineNo++;
    return line;
  }

  private fill(): void {
    if (this.thread) {
      // Already text, cut at line breaks by the worker.
      const texts = this.thread.take();
      this.setText(texts.length === 1 ? (texts[0] as string) : texts.join(""));
      this.eof = texts.length === 0;
      return;
    }
    const n = readSync(this.fd, this.buf, 0, CHUNK, this.pos);
    this.pos += n;
    const last = n === 0;
    this.cut(this.readParts(this.buf.subarray(0, n), last), last);
  }

  /** This thread's inflating (fflate) or the plain bytes. */
  private readParts(bytes: Buffer, last: boolean): Uint8Array[] {
    let parts: Uint8Array[];
    if (this.gunzip) {
      this.gunzip.push(bytes, last);
      parts = this.inflated;
      this.inflated = [];
    } else parts = [bytes];
    return parts;
  }

  /** Decodes the whole lines of `parts` (after the carried bytes); keeps the rest for the next fill. */
  private cut(parts: Uint8Array[], last: boolean): void {
    const all =
      this.carry.length === 0 && parts.length === 1 ? (parts[0] as Uint8Array) : concat(this.carry, parts);
    // Whole lines now; the tail (after the last line break) waits for the next chunk, unless this is the end.
    const cut = last ? all.length : all.lastIndexOf(LF) + 1;
    const whole = Buffer.from(all.buffer, all.byteOffset, cut);
    // A final line without a line break still counts; text ends in '\n' otherwise, which next() skips past.
    this.setText(whole.toString("utf8"));
    // Copied: `all` may be fflate's or our read buffer, both reused.
    this.carry = Buffer.from(all.subarray(cut));
    this.eof = last;
  }

  private setText(text: string): void {
    this.text = text;
    // A byte-order mark opening the file is not part of the first line (TextDecoder dropped it too).
    this.at = 0;
    if (!this.started && this.text.length > 0) {
      this.started = true;
      if (this.text.charCodeAt(0) === 0xfeff) this.at = 1;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.thread?.close();
    closeSync(this.fd);
  }
}

function concat(carry: Buffer, parts: Uint8Array[]): Uint8Array {
  let n = carry.length;
  for (const p of parts) n += p.length;
  const out = Buffer.allocUnsafe(n);
  carry.copy(out, 0);
  let at = carry.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
