// The reader's fast paths (traffic/replay/lines.ts, format.ts parseTime) must read exactly what the plain
// reading did: lines across chunk edges (a UTF-8 character split between two reads, a line longer than a
// chunk, CRLF, a byte-order mark, no final line break), and times as Number/Date.parse read them.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { parseTime } from "../../../traffic/replay/format.ts";
import { LineReader, type LineReaderOptions } from "../../../traffic/replay/lines.ts";
import { tempDir, writeLog } from "./helpers.ts";

const tmp = tempDir();
afterAll(() => tmp.remove());

function lines(file: string, options: LineReaderOptions = {}): string[] {
  const r = new LineReader(file, options);
  const out: string[] = [];
  for (let l = r.next(); l !== null; l = r.next()) out.push(l);
  return out;
}

describe("LineReader", () => {
  // Lines of varied widths with two-, three- and four-byte characters, so chunk edges (64 KiB of file, or of
  // inflated text) fall inside characters and inside lines; one line is longer than a chunk.
  const want: string[] = [];
  for (let i = 0; i < 40_000; i++)
    want.push(`${1000 + i},sku-é€${i % 97}-𝄞,${i % 7 === 0 ? "vip" : "standard"}`);
  want.splice(20_000, 0, "x".repeat(200_000));

  for (const name of ["long.csv", "long.csv.gz"]) {
    it(`reads every line of a multi-chunk file, characters split across reads (${name})`, () => {
      expect(lines(writeLog(tmp.dir, name, `${want.join("\n")}\n`))).toEqual(want);
    });
  }

  it("reads the same lines when gzip is inflated on a worker thread (a big log's way)", () => {
    const file = writeLog(tmp.dir, "thread.csv.gz", `${want.join("\n")}`);
    expect(lines(file, { threadAbove: 0 })).toEqual(want);
    // Closed early (a replay sliced with `to`): the worker stops; a new reader starts again from the top.
    const r = new LineReader(file, { threadAbove: 0 });
    expect([r.next(), r.next()]).toEqual(want.slice(0, 2));
    r.close();
    expect(lines(file, { threadAbove: 0 }).length).toBe(want.length);
  });

  it("a corrupt gzip stream read on the worker thread is an error, not a short log", () => {
    const good = gzipSync(`${want.join("\n")}\n`);
    const bad = Buffer.concat([good.subarray(0, 20_000), Buffer.alloc(5_000, 0x55), good.subarray(25_000)]);
    const file = join(tmp.dir, "corrupt.csv.gz");
    writeFileSync(file, bad);
    expect(() => lines(file, { threadAbove: 0 })).toThrow(/invalid|incorrect|unexpected|error/i);
  });

  it("drops CR before LF and a leading byte-order mark, keeps a last line without a line break", () => {
    const f = writeLog(tmp.dir, "crlf.csv", "\uFEFFtime,sku,tier\r\n1,a,vip\r\n\r\n2,b,standard");
    expect(lines(f)).toEqual(["time,sku,tier", "1,a,vip", "", "2,b,standard"]);
  });
});

describe("parseTime fast paths", () => {
  it("reads epoch-ms digits as Number does", () => {
    for (const s of ["0", "7", "007", "1764360000018", "999999999999999"])
      expect(parseTime(s)).toBe(Number(s));
    // Not plain digits: still read as before (Number), not by the fast path.
    for (const s of [" 12", "1e3", "-5", "12.5", "0x10", "1234567890123456"])
      expect(parseTime(s)).toBe(Number(s));
  });

  it("reads ISO-8601 times as Date.parse does, line after line within and across minutes", () => {
    const samples: string[] = [];
    for (const zone of ["Z", "+02:00", "-05:30", ""])
      for (const sep of ["T", " "])
        for (const frac of ["", ".5", ".05", ".123"])
          for (const [min, sec] of [
            ["00", "00"],
            ["00", "59"],
            ["01", "07"],
            ["59", "30"],
          ])
            samples.push(`2025-11-28${sep}23:${min}:${sec}${frac}${zone}`);
    // Across a day, a month and a year edge, and a leap day.
    samples.push("2024-02-29T23:59:59.999Z", "2024-12-31T23:59:59+01:00", "2025-01-01T00:00:00Z");
    for (const s of samples) expect([s, parseTime(s)]).toEqual([s, Date.parse(s)]);
    // What the fast path declines is left to Date.parse (more than 3 fraction digits, no seconds).
    for (const s of ["2025-11-28T10:00:00.1234Z", "2025-11-28T10:00Z", "2025-11-28T10:00:00.Z"]) {
      const ms = Date.parse(s);
      expect(parseTime(s)).toEqual(Number.isFinite(ms) ? ms : expect.stringContaining("neither ISO-8601"));
    }
    expect(parseTime("2025-11-28T10:00:61Z")).toEqual(expect.stringContaining("neither ISO-8601"));
  });
});
