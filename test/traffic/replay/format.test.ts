// The order-log format (scenarios/README.md "Order logs"): CSV with a header or a column mapping, JSON
// Lines, gzip, ISO-8601 or epoch-ms times; the read-ahead re-sorts near disorder and stops at far disorder.
import { afterAll, describe, expect, it } from "vitest";
import { OrderedRecords } from "../../../traffic/replay/ordered.ts";
import { ReplayTimeline } from "../../../traffic/replay/timeline.ts";
import { tempDir, thrown, writeLog } from "./helpers.ts";

const tmp = tempDir();
afterAll(() => tmp.remove());

function all(file: string, options: ConstructorParameters<typeof OrderedRecords>[1] = {}) {
  const r = new OrderedRecords(file, options);
  const out: [number, string, string, number][] = [];
  for (let x = r.next(); x !== null; x = r.next()) out.push([x.t, x.sku, x.tier, x.line]);
  return out;
}

describe("order log formats", () => {
  const expected = [
    [1_000, "a", "vip", 2],
    [1_250, "b", "standard", 3],
  ];

  it("reads a CSV with a header (extra columns ignored, any column order, CRLF)", () => {
    const f = writeLog(tmp.dir, "h.csv", "sku,region,time,tier\r\na,eu,1000,VIP\r\nb,us,1250,standard\r\n");
    expect(all(f)).toEqual(expected);
  });

  it("reads gzip by its magic bytes, whatever the name", () => {
    const f = writeLog(tmp.dir, "h.csv.gz", "time,sku,tier\n1000,a,vip\n1250,b,standard\n");
    expect(all(f)).toEqual(expected);
  });

  it("reads a header-less CSV through a 1-based column mapping", () => {
    const f = writeLog(tmp.dir, "n.csv", "x,1000,a,vip\nx,1250,b,standard\n");
    const rows = all(f, { header: false, columns: { time: 2, sku: 3, tier: 4 } });
    expect(rows).toEqual(expected.map(([t, s, r, l]) => [t, s, r, (l as number) - 1]));
  });

  it("reads a header with other names through a mapping", () => {
    const f = writeLog(tmp.dir, "m.csv", "ts,product,segment\n1000,a,vip\n1250,b,standard\n");
    expect(all(f, { columns: { time: "ts", sku: "product", tier: "segment" } })).toEqual(expected);
  });

  it("reads JSON Lines with ISO-8601 times (and a mapped key)", () => {
    const f = writeLog(
      tmp.dir,
      "j.jsonl",
      '{"at":"2025-11-28T20:00:00.000Z","sku":"a","tier":"vip"}\n{"at":"2025-11-28T20:00:00.250Z","sku":"b","tier":"standard"}\n',
    );
    const t0 = Date.UTC(2025, 10, 28, 20);
    expect(all(f, { columns: { time: "at" } })).toEqual([
      [t0, "a", "vip", 1],
      [t0 + 250, "b", "standard", 2],
    ]);
  });

  it("re-sorts records out of order within the read-ahead (ties keep line order)", () => {
    const f = writeLog(tmp.dir, "o.csv", "time,sku,tier\n30,c,vip\n10,a,vip\n20,b,vip\n10,a2,vip\n");
    expect(all(f, { readAhead: 4 }).map((r) => r[1])).toEqual(["a", "a2", "b", "c"]);
  });

  it("stops at a record out of order by more than the read-ahead, naming its line", () => {
    const f = writeLog(
      tmp.dir,
      "far.csv",
      "time,sku,tier\n10,a,vip\n20,b,vip\n30,c,vip\n40,d,vip\n5,e,vip\n",
    );
    expect(all(f, { readAhead: 5 }).map((r) => r[1])).toEqual(["e", "a", "b", "c", "d"]);
    expect(thrown(() => all(f, { readAhead: 2 }))).toBe(
      `${f}:6: out of order: its time is 25 ms before line 4's, further back than the read-ahead of 2 records (raise traffic.readAhead or sort the log)`,
    );
  });
});

describe("replay timeline", () => {
  const f = writeLog(
    tmp.dir,
    "t.csv",
    "time,sku,tier\n1000,a,vip\n1100,b,standard\n1400,c,standard\n1500,d,vip\n",
  );
  const base = { file: f, loop: 1, readAhead: 100, timeScale: 1 };
  const times = (source: ConstructorParameters<typeof ReplayTimeline>[0]) => {
    const t = new ReplayTimeline(source);
    return Array.from({ length: t.count }, (_, i) => [t.at(i).atMs, t.at(i).sku]);
  };

  it("divides the recorded gaps by speed and multiplies them by timeScale", () => {
    expect(times({ ...base, speed: 2 })).toEqual([
      [0, "a"],
      [50, "b"],
      [200, "c"],
      [250, "d"],
    ]);
    expect(times({ ...base, speed: 2, timeScale: 4 }).map((x) => x[0])).toEqual([0, 200, 800, 1000]);
  });

  it("cuts a slice with from/to (ms from the log's first order) and loops it", () => {
    // Slice [100, 450): b and c (d, at 500, is past it); one pass spans to - from = 350 ms.
    expect(times({ ...base, from: 100, to: 450, loop: 2 })).toEqual([
      [0, "b"],
      [300, "c"],
      [350, "b"],
      [650, "c"],
    ]);
  });
});
