// A synchronous line reader over a file, gzip or plain (told by the magic bytes 1f 8b). Synchronous so
// the simulator (a synchronous event loop) and the live engine's timer loop pull records one at a time;
// memory stays bounded by one chunk plus one line whatever the file's size. Gzip is inflated by fflate's
// streaming Gunzip, whose callback runs inside push(): Node's zlib has no synchronous streaming form.
import { closeSync, openSync, readSync } from "node:fs";
import { Gunzip } from "fflate";

const CHUNK = 1 << 20;

export class LineReader {
  private readonly fd: number;
  private readonly buf = Buffer.allocUnsafe(CHUNK);
  private readonly decoder = new TextDecoder("utf-8");
  private readonly gunzip: Gunzip | null;
  /** Decoded text not yet split into lines. */
  private pending = "";
  private pos = 0;
  private ready: string[] = [];
  private readyAt = 0;
  private eof = false;
  private closed = false;
  /** 1-based number of the line last returned by next(). */
  lineNo = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, "r");
    const head = Buffer.alloc(2);
    const n = readSync(this.fd, head, 0, 2, 0);
    this.gunzip =
      n === 2 && head[0] === 0x1f && head[1] === 0x8b
        ? new Gunzip((data) => {
            this.pending += this.decoder.decode(data, { stream: true });
          })
        : null;
  }

  /** The next line (without its line break), or null at the end of the file. */
  next(): string | null {
    while (this.readyAt >= this.ready.length) {
      if (this.eof) {
        this.close();
        return null;
      }
      this.fill();
    }
    this.lineNo++;
    const line = this.ready[this.readyAt++] as string;
    return line.endsWith("\r") ? line.slice(0, -1) : line;
  }

  private fill(): void {
    const n = readSync(this.fd, this.buf, 0, CHUNK, this.pos);
    this.pos += n;
    const last = n === 0;
    const bytes = this.buf.subarray(0, n);
    if (this.gunzip) this.gunzip.push(bytes, last);
    else this.pending += this.decoder.decode(bytes, { stream: !last });
    if (last) this.pending += this.decoder.decode();
    const lines = this.pending.split("\n");
    this.pending = last ? "" : (lines.pop() as string);
    if (last && lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
    this.ready = lines;
    this.readyAt = 0;
    this.eof = last;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}
