// Writes an order log (the format of traffic/replay/format.ts: CSV with a header, gzip when the name ends
// in ".gz"): `serve --record`, `load --record` and the ledger converter write through it. Lines are
// batched; close() flushes and resolves once the file is complete.

import { once } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";
import { createGzip, type Gzip } from "node:zlib";
import type { Tier } from "../../server/core/types.ts";

export const LOG_HEADER = "time,sku,tier,key,customer";

export interface LoggedOrder {
  /** Epoch ms. */
  t: number;
  sku: string;
  tier: Tier;
  key?: string;
  customer?: string | null;
}

const BATCH = 4096;

/** Commas, quotes and line breaks would break the unquoted CSV: such a value is refused. */
function field(value: string | null | undefined, name: string): string {
  if (value === undefined || value === null) return "";
  if (/[,"\r\n]/.test(value))
    throw new Error(`order log: ${name} ${JSON.stringify(value)} holds a comma, quote or line break`);
  return value;
}

export function logLine(o: LoggedOrder): string {
  return `${o.t},${field(o.sku, "sku")},${o.tier},${field(o.key, "key")},${field(o.customer, "customer")}`;
}

export class OrderLogWriter {
  private readonly file: WriteStream;
  private readonly gzip: Gzip | null;
  private lines: string[] = [];
  private failed: Error | null = null;
  private closing: Promise<void> | null = null;
  written = 0;

  constructor(readonly path: string) {
    this.file = createWriteStream(path);
    this.gzip = path.toLowerCase().endsWith(".gz") ? createGzip() : null;
    if (this.gzip) this.gzip.pipe(this.file);
    const fail = (err: Error) => {
      this.failed ??= err;
    };
    this.file.on("error", fail);
    this.gzip?.on("error", fail);
    this.sink.write(`${LOG_HEADER}\n`);
  }

  /** Resolves when the file is open (rejects naming the path when it cannot be created). */
  async ready(): Promise<void> {
    if (this.file.pending) await Promise.race([once(this.file, "open"), once(this.file, "error")]);
    if (this.failed) throw this.failed;
  }

  private get sink(): Gzip | WriteStream {
    return this.gzip ?? this.file;
  }

  /**
   * Appends one order (values holding a comma, quote or line break throw). Returns true when the file
   * is behind: a writer in a loop (the generator, the converter) then awaits drain() so that memory stays
   * bounded; a server appending as orders arrive does not wait.
   */
  add(o: LoggedOrder): boolean {
    this.lines.push(logLine(o));
    this.written++;
    return this.lines.length >= BATCH ? !this.flush() : false;
  }

  /** Resolves once the file has caught up with what was written. */
  async drain(): Promise<void> {
    if (this.sink.writableNeedDrain) await once(this.sink, "drain");
  }

  private flush(): boolean {
    if (this.lines.length === 0) return true;
    const ok = this.sink.write(`${this.lines.join("\n")}\n`);
    this.lines = [];
    return ok;
  }

  /** Writes what is left and closes the file. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.flush();
      const done = once(this.file, "close");
      this.sink.end();
      await done;
      if (this.failed) throw this.failed;
    })();
    return this.closing;
  }
}
