// `load --record FILE`: the orders the driver sent, as an order log (traffic/replay/format.ts). Each engine
// (one per engine process) appends its sent orders to a part file of its own, with the iteration index in
// front; after the run the parts are merged by iteration index (the plan's order, ascending in intended
// time) into FILE and removed. Orders dropped at the in-flight bound were not sent and are not recorded.
import { closeSync, openSync, rmSync, writeSync } from "node:fs";
import { extname } from "node:path";
import type { Tier } from "../server/core/types.ts";
import { LineReader } from "../traffic/replay/lines.ts";
import { OrderLogWriter } from "../traffic/replay/writer.ts";

const BATCH = 4096;

export function partPath(record: string, index: number): string {
  return `${record}.part${index}`;
}

/** The record file of one arm when a run has several: "orders.csv.gz" -> "orders.adaptive.csv.gz". */
export function armRecordPath(record: string, arm: string, arms: number): string {
  if (arms <= 1) return record;
  const gz = record.toLowerCase().endsWith(".gz") ? record.slice(-3) : "";
  const base = gz ? record.slice(0, -3) : record;
  const ext = extname(base);
  return `${base.slice(0, base.length - ext.length)}.${arm}${ext}${gz}`;
}

/** One engine's part: synchronous batched appends (the engine's timer loop must not wait on them). */
export class SentOrderPart {
  private readonly fd: number;
  private lines: string[] = [];

  constructor(readonly path: string) {
    this.fd = openSync(path, "w");
  }

  add(i: number, atEpochMs: number, sku: string, tier: Tier, key: string): void {
    this.lines.push(`${i},${atEpochMs},${sku},${tier},${key}`);
    if (this.lines.length >= BATCH) this.flush();
  }

  private flush(): void {
    if (this.lines.length === 0) return;
    writeSync(this.fd, `${this.lines.join("\n")}\n`);
    this.lines = [];
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

interface Head {
  i: number;
  fields: string[];
  reader: LineReader;
}

/** Merges the engines' parts into the order log at `record` (by iteration index) and removes them. */
export async function mergeSentParts(record: string, engines: number): Promise<number> {
  const out = new OrderLogWriter(record);
  await out.ready();
  const heads: Head[] = [];
  const advance = (reader: LineReader): Head | null => {
    const line = reader.next();
    if (line === null || line === "") return null;
    const fields = line.split(",");
    return { i: Number(fields[0]), fields, reader };
  };
  const paths = Array.from({ length: engines }, (_, k) => partPath(record, k));
  for (const p of paths) {
    const h = advance(new LineReader(p));
    if (h) heads.push(h);
  }
  // A handful of engines: a linear scan for the smallest head is cheaper than a heap.
  while (heads.length > 0) {
    let m = 0;
    for (let k = 1; k < heads.length; k++) if ((heads[k] as Head).i < (heads[m] as Head).i) m = k;
    const h = heads[m] as Head;
    const [, t, sku, tier, key] = h.fields as [string, string, string, Tier, string];
    out.add({ t: Number(t), sku, tier, key });
    const next = advance(h.reader);
    if (next) heads[m] = next;
    else heads.splice(m, 1);
  }
  await out.close();
  for (const p of paths) rmSync(p, { force: true });
  return out.written;
}
