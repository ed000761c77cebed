// `rushhour sim` as a user runs it: files written, summary printed, exit codes 0 / 1 / 2 (UsageError).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { UsageError } from "../../cli/command.ts";
import { simCommand } from "../../cli/commands/sim.ts";
import { readRunResult } from "../../results/run-result.ts";

const dir = mkdtempSync(join(tmpdir(), "rushhour-simcli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const define = new URL("../../scenarios/define.ts", import.meta.url).pathname;

function scenarioFile(name: string, body: Record<string, unknown>): string {
  const file = join(dir, `${name}.ts`);
  writeFileSync(
    file,
    `import { defineScenario } from ${JSON.stringify(define)};\nexport default defineScenario(${JSON.stringify(body)});\n`,
  );
  return file;
}

const tiny = {
  name: "tiny-cli",
  traffic: { executor: "constant-arrival-rate", rate: 50, duration: "3s" },
  providers: [{ id: "p", latency: { p50: 20, p99: 100 }, capacity: 20 }],
  cluster: { primary: { workers: 10 }, backup: { workers: 5 } },
  drain: "2s",
  thresholds: { latency: ["p(99)<5000"], duplicate_cards: ["count==0"] },
};

let out = "";
beforeEach(() => {
  out = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

describe("rushhour sim", () => {
  it("writes one RunResult per configuration, prints a summary and exits 0 when thresholds pass", async () => {
    const file = scenarioFile("ok", tiny);
    const outDir = join(dir, "out-ok");
    const code = await simCommand.run([
      file,
      "--replications",
      "2",
      "--seed",
      "5",
      "--out",
      outDir,
      "--jobs",
      "2",
    ]);
    expect(code).toBe(0);
    for (const config of ["legacy", "adaptive"]) {
      const path = join(outDir, `tiny-cli.${config}.json`);
      expect(existsSync(path)).toBe(true);
      const r = readRunResult(path);
      expect(r.seeds.base).toBe(5);
      expect(r.command).toEqual([
        "rushhour",
        "sim",
        file,
        "--replications",
        "2",
        "--seed",
        "5",
        "--out",
        outDir,
        "--jobs",
        "2",
      ]);
    }
    expect(out).toContain("legacy (baseline)");
    expect(out).toContain("adaptive (candidate)");
    expect(out).toContain("wrote:");
  });

  it("exits 1 and names the threshold when one fails; --config runs one configuration", async () => {
    const file = scenarioFile("strict", { ...tiny, name: "strict", thresholds: { latency: ["p(99)<1"] } });
    const outDir = join(dir, "out-strict");
    const code = await simCommand.run([file, "--config", "adaptive", "--replications", "1", "--out", outDir]);
    expect(code).toBe(1);
    expect(out).toMatch(/threshold failed: adaptive latency p\(99\)<1 \(observed \d+/);
    expect(existsSync(join(outDir, "strict.adaptive.json"))).toBe(true);
    expect(existsSync(join(outDir, "strict.legacy.json"))).toBe(false);
  });

  it("prints JSON with --json", async () => {
    const file = scenarioFile("json", { ...tiny, name: "json-out" });
    const code = await simCommand.run([
      file,
      "--replications",
      "1",
      "--out",
      join(dir, "out-json"),
      "--json",
    ]);
    expect(code).toBe(0);
    const parsed = JSON.parse(out) as { config: string; summary: { p99: { mean: number } } }[];
    expect(parsed.map((p) => p.config)).toEqual(["legacy", "adaptive"]);
    expect(parsed[0]!.summary.p99.mean).toBeGreaterThan(0);
  });

  it("rejects a bad scenario with every problem listed, and bad flags (exit 2)", async () => {
    const bad = scenarioFile("bad", {
      ...tiny,
      vipShare: 3,
      providers: [{ id: "p", latency: { p50: 1 }, capacity: 1 }],
    });
    await expect(simCommand.run([bad])).rejects.toThrow(UsageError);
    await expect(simCommand.run([bad])).rejects.toThrow(
      /vipShare: must be between 0 and 1[\s\S]*providers\[0\]\.latency/,
    );
    await expect(simCommand.run(["no-such-scenario"])).rejects.toThrow(/not a file, and not a built-in/);
    await expect(simCommand.run([join(dir, "ok.ts"), "--replications", "zero"])).rejects.toThrow(
      /--replications must be an integer between 1 and 1000, got "zero"/,
    );
    await expect(simCommand.run([join(dir, "ok.ts"), "--replications", "0"])).rejects.toThrow(
      /between 1 and 1000/,
    );
    await expect(simCommand.run([join(dir, "ok.ts"), "--config", "turbo"])).rejects.toThrow(/not a preset/);
    await expect(simCommand.run([join(dir, "ok.ts"), "--frobnicate"])).rejects.toThrow(UsageError);
    await expect(simCommand.run([])).rejects.toThrow(/exactly one scenario/);
    // Every bad flag at once.
    await expect(simCommand.run(["--replications", "0", "--seed", "1.5", "--jobs", "0"])).rejects.toThrow(
      /exactly one scenario[\s\S]*--replications must be[\s\S]*--seed must be an integer[\s\S]*--jobs must be/,
    );
  });

  it("accepts a JSON configuration file that extends a preset, and reports its bad fields", async () => {
    const good = join(dir, "fast.json");
    writeFileSync(good, JSON.stringify({ extends: "adaptive", provider: { timeoutMs: 500 } }));
    const file = join(dir, "ok.ts");
    const outDir = join(dir, "out-cfg");
    expect(await simCommand.run([file, "--config", good, "--replications", "1", "--out", outDir])).toBe(0);
    const r = readRunResult(join(outDir, "tiny-cli.fast.json"));
    expect((r.config.definition as { provider: { timeoutMs: number } }).provider.timeoutMs).toBe(500);
    const bad = join(dir, "bad.json");
    writeFileSync(
      bad,
      JSON.stringify({ extends: "adaptive", provider: { timeoutMs: -1 }, lanes: { vip: { workers: "x" } } }),
    );
    await expect(simCommand.run([file, "--config", bad])).rejects.toThrow(
      /lanes\.vip\.workers[\s\S]*provider\.timeoutMs/,
    );
  });
});
