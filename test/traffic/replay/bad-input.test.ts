// Every bad replay input is one clear error naming the line or field, found when the scenario is loaded,
// so `rushhour sim` and `rushhour load` exit 2 before any order is sent (issue 14).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { EXIT } from "../../../cli/command.ts";
import { main } from "../../../cli/main.ts";
import { ScenarioError } from "../../../scenarios/define.ts";
import { replayScenario, tempDir, writeLog } from "./helpers.ts";

const tmp = tempDir();
afterAll(() => tmp.remove());

function problems(traffic: Record<string, unknown>): string[] {
  try {
    replayScenario(traffic);
  } catch (err) {
    if (err instanceof ScenarioError) return err.problems;
    throw err;
  }
  throw new Error("expected the scenario to be refused");
}

const good = writeLog(tmp.dir, "good.csv", "time,sku,tier\n1000,a,vip\n1500,b,standard\n");

describe("bad replay input", () => {
  it("an unreadable file", () => {
    const missing = join(tmp.dir, "missing.csv");
    expect(problems({ file: missing })).toEqual([
      `traffic.file: ${missing}: cannot read the order log (ENOENT)`,
    ]);
  });

  it("a bad line: its number and what is wrong", () => {
    const f = writeLog(tmp.dir, "bad.csv", "time,sku,tier\n1000,a,vip\n1100,b,gold\n");
    expect(problems({ file: f })).toEqual([`traffic.file: ${f}:3: tier "gold" is not "vip" or "standard"`]);
    const t = writeLog(tmp.dir, "badtime.csv.gz", "time,sku,tier\n1000,a,vip\nyesterday,b,vip\n");
    expect(problems({ file: t })).toEqual([
      `traffic.file: ${t}:3: time "yesterday" is neither ISO-8601 nor epoch milliseconds`,
    ]);
    const w = writeLog(tmp.dir, "short.csv", "time,sku,tier\n1000,a\n");
    expect(problems({ file: w })).toEqual([`traffic.file: ${w}:2: 2 fields, the header has 3`]);
    const j = writeLog(tmp.dir, "bad.jsonl", '{"time":1,"sku":"a","tier":"vip"}\n{"time":2,"tier":"vip"}\n');
    expect(problems({ file: j })).toEqual([`traffic.file: ${j}:2: sku is missing`]);
  });

  it("an empty log (no lines, or a header only)", () => {
    for (const text of ["", "time,sku,tier\n"]) {
      const f = writeLog(tmp.dir, `empty-${text.length}.csv`, text);
      expect(problems({ file: f })).toEqual([`traffic.file: ${f}: the order log holds no orders`]);
    }
  });

  it("a speed <= 0, or speed and peakRate together", () => {
    expect(problems({ file: good, speed: 0 })).toEqual(["traffic.speed: must be > 0"]);
    expect(problems({ file: good, speed: -2 })).toEqual(["traffic.speed: must be > 0"]);
    expect(problems({ file: good, speed: 2, peakRate: 100 })).toEqual([
      "traffic.peakRate: give speed or peakRate, not both",
    ]);
  });

  it("a mapping naming a missing column", () => {
    expect(problems({ file: good, columns: { sku: "product" } })).toEqual([
      `traffic.columns: ${good}:1: columns.sku: no column "product" in the header (time,sku,tier)`,
    ]);
    expect(problems({ file: good, header: false, columns: { time: 1, sku: 2, tier: 7 } })).toEqual([
      `traffic.columns: ${good}:1: columns.tier: column 7 does not exist (the log has 3)`,
    ]);
  });

  it("a peakRate the log cannot reach", () => {
    expect(problems({ file: good, peakRate: 5 })).toEqual([
      `traffic.peakRate: ${good}: peakRate 5/s cannot be reached: the replayed slice holds only 2 orders`,
    ]);
  });

  it("rushhour load exits 2 naming the line, before connecting to anything", async () => {
    const bad = writeLog(tmp.dir, "cli.csv", "time,sku,tier\n1000,a,vip\n1100,b,gold\n");
    const scenario = join(tmp.dir, "cli-scenario.ts");
    const define = new URL("../../../scenarios/define.ts", import.meta.url).pathname;
    writeFileSync(
      scenario,
      `import { defineScenario } from ${JSON.stringify(define)};
export default defineScenario(${JSON.stringify({
        name: "cli-replay",
        traffic: { executor: "replay", file: "cli.csv" },
        providers: [{ id: "p1", latency: { p50: "5ms", p99: "10ms" }, capacity: 10 }],
        cluster: { primary: { workers: 4 }, backup: { workers: 2 } },
      })});\n`,
    );
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    // Port 9 (discard) on loopback: nothing listens; a run that got as far as connecting would say so.
    const status = await main(["load", scenario, "--target", "127.0.0.1:9"]).finally(() => spy.mockRestore());
    const stderr = written.join("");
    expect(status, stderr).toBe(EXIT.usage);
    expect(stderr).toContain(`traffic.file: ${bad}:3: tier "gold" is not "vip" or "standard"`);
    expect(stderr).not.toMatch(/UNAVAILABLE|ECONNREFUSED|\n\s+at /);
  });
});
