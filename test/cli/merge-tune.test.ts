// `rushhour merge` of `rushhour tune --shard` runs, in-process through cli/main.ts: two shards (each its own
// --out folder) found in their parent folder merge into the tuning report with its recommended configuration,
// exit 0; a missing shard, and tune shards given with RunResults or capacity shards, exit 2 naming them.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../../cli/main.ts";
import { resolveConfig } from "../../simulator/configs.ts";
import { expectTuneReportFiles } from "../support/tune-report.ts";

const dir = mkdtempSync(join(tmpdir(), "rushhour-merge-tune-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());
const PLANTED = new URL("../../scenarios/tune/planted-workers.ts", import.meta.url).pathname;
const shards = join(dir, "shards");

/** Runs the command with stdout and stderr captured. */
async function run(argv: string[]) {
  let stdout = "";
  let stderr = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    return { status: await main(argv), stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}

beforeAll(async () => {
  const space = join(dir, "space.json");
  writeFileSync(
    space,
    JSON.stringify({ parameters: { "routing.highWatermark": { range: [0.6, 1.0], step: 0.1 } } }),
  );
  // Budget 8: a design of 2 candidates, one per shard.
  for (const shard of ["0/2", "1/2"]) {
    const out = join(shards, `shard-${shard.replace("/", "-of-")}`);
    const r = await run([
      "tune",
      PLANTED,
      "--space",
      space,
      "--budget",
      "8",
      "--seed",
      "3",
      "--shard",
      shard,
      "--out",
      out,
    ]);
    expect(r.status, r.stderr).toBe(0);
  }
});

describe("rushhour merge of tune shards", () => {
  it("joins the shards found in a folder into the tuning report and a recommended config file", async () => {
    const out = join(dir, "merged");
    const r = await run(["merge", shards, "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^planted-workers \(from adaptive\): 2 tune shards\n/);
    expect(r.stdout).toMatch(/\n {2}best: #[01] routing\.highWatermark=/);
    expect(r.stdout).toMatch(/\n {2}runner-up #[01] /);
    expect(r.stdout).toMatch(/\n {2}merged from 2 shards/);
    expectTuneReportFiles(out);
    const tuned = JSON.parse(readFileSync(join(out, "tune.json"), "utf8"));
    expect(tuned.shard).toBeUndefined();
    expect(tuned.candidates.map((c: { id: number }) => c.id)).toEqual([0, 1]);
    const parts = [0, 1].map((i) =>
      JSON.parse(readFileSync(join(shards, `shard-${i}-of-2`, "tune.json"), "utf8")),
    );
    expect(tuned.runs).toBe(parts[0].runs + parts[1].runs);
    // The recommended file is the best's, and the config loader reads it.
    expect(resolveConfig(join(out, "recommended-config.json")).routing.highWatermark).toBe(
      tuned.best.values["routing.highWatermark"],
    );
  });

  it("exits 2 naming a missing shard, a path that does not exist and a given file that is no tune.json", async () => {
    const r = await run(["merge", join(shards, "shard-1-of-2"), "--out", join(dir, "never")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/rushhour merge: missing tune shard 0\/2 of planted-workers \(from adaptive\)/);
    const typo = await run(["merge", shards, join(dir, "shards-typo"), "--out", join(dir, "never")]);
    expect(typo.status).toBe(2);
    expect(typo.stderr).toMatch(/rushhour merge: \S+shards-typo: no such file or folder/);
    const config = join(shards, "shard-0-of-2", "recommended-config.json");
    const named = await run(["merge", shards, config, "--out", join(dir, "never")]);
    expect(named.status).toBe(2);
    expect(named.stderr).toMatch(
      /recommended-config\.json: not a tune\.json \(the other files given are tune shards\)/,
    );
  });

  it("exits 2 naming the kinds when tune shards come with RunResults or capacity shards", async () => {
    const other = join(dir, "other");
    mkdirSync(other, { recursive: true });
    // Sorted as a kind by their content alone (the mix is refused before any is read as a whole).
    writeFileSync(join(other, "tiny.legacy.shard-0-of-2.json"), JSON.stringify({ schemaVersion: 1 }));
    writeFileSync(
      join(other, "capacity.shard-0-of-2.json"),
      JSON.stringify({ kind: "rushhour-capacity-shard" }),
    );
    const r = await run(["merge", shards, other, "--out", join(dir, "never")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /rushhour merge: the files given hold tune shards \(tune\.json\): 2 .*; capacity shards: 1 .*capacity\.shard-0-of-2\.json.*; RunResults: 1 .*tiny\.legacy\.shard-0-of-2\.json.*; merge one kind at a time/,
    );
  });
});
