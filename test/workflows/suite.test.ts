// `rushhour suite` end to end on a folder holding one small scenario module and one helper module.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../../cli/main.ts";
import { readRunResult } from "../../results/run-result.ts";

const SCENARIO = {
  name: "tiny",
  description: "20 s at 200 orders/s, one provider slow for 5 s",
  seed: 3,
  traffic: { executor: "constant-arrival-rate", rate: 200, duration: "20s" },
  vipShare: 0.05,
  skus: { count: 20, zipfExponent: 1 },
  providers: [
    { id: "p1", latency: { p50: "40ms", p99: "200ms" }, capacity: 200, errorRate: 0.001 },
    { id: "p2", latency: { p50: "45ms", p99: "220ms" }, capacity: 200, errorRate: 0.001 },
  ],
  faults: [{ at: "5s", provider: "p2", kind: "latency", latencyMs: "600ms", duration: "5s" }],
  compare: { baseline: "legacy", candidate: "adaptive" },
  cluster: { primary: { workers: 100, cores: 2 }, backup: { workers: 50, cores: 2 }, hopMs: "2ms" },
  drain: "10s",
  window: "1s",
  thresholds: { duplicate_cards: ["count==0"] },
};

describe("rushhour suite", () => {
  afterEach(() => vi.restoreAllMocks());

  it("runs every scenario module of a folder, skips helpers, and writes runs and one report with an index", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rushhour-suite-"));
    const scenarios = join(dir, "scenarios");
    mkdirSync(scenarios);
    writeFileSync(join(scenarios, "tiny.ts"), `export default ${JSON.stringify(SCENARIO)};\n`);
    writeFileSync(join(scenarios, "helper.ts"), "export const notAScenario = 1;\n");
    const out = join(dir, "out");
    const stdout = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const code = await main(["suite", scenarios, "--replications", "1", "--out", out, "--no-png"]);
    const printed = stdout.mock.calls.map((c) => String(c[0])).join("");
    vi.restoreAllMocks();
    expect(code).toBe(0);
    expect(readdirSync(join(out, "runs")).sort()).toEqual(["tiny.adaptive.json", "tiny.legacy.json"]);
    expect(printed).toContain("1 scenarios, 2 runs");
    expect(printed).toContain(join(out, "index.html"));
    const html = readFileSync(join(out, "index.html"), "utf8");
    expect(html).toContain('<a href="#tiny-sim">tiny</a>');
    expect(html).toContain('<section id="tiny-sim"');
    expect(existsSync(join(out, "summary.md"))).toBe(true);
  });

  it("runs a scenario live in this process (local stack, baseline then candidate) beside its simulation", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rushhour-suite-live-"));
    const out = join(dir, "out");
    const stdout = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const scenario = fileURLToPath(new URL("../load/fixtures/live-small.ts", import.meta.url));
    const code = await main([
      "suite",
      scenario,
      "--mode",
      "both",
      "--replications",
      "1",
      "--out",
      out,
      "--no-report",
    ]);
    const printed = stdout.mock.calls.map((c) => String(c[0])).join("");
    vi.restoreAllMocks();
    expect(code).toBe(0);
    expect(printed).toContain("1 scenarios, 4 runs");
    expect(readdirSync(join(out, "runs")).sort()).toEqual([
      "live-small.adaptive.json",
      "live-small.adaptive.load.json",
      "live-small.legacy.json",
      "live-small.legacy.load.json",
    ]);
    const live = readRunResult(join(out, "runs", "live-small.adaptive.load.json"));
    expect(live.kind).toBe("load");
    expect(live.config).toMatchObject({ name: "adaptive", role: "candidate" });
    // 30 orders/s for 8 s, sent by the live driver against a real server.
    expect(live.counters.submitted).toBe(240);
    expect(live.counters.delivered).toBeGreaterThan(200);
    expect(live.events.some((e) => e.kind === "fault" && e.providerId === "p1")).toBe(true);
  });

  it("refuses a scenario the simulator cannot drive with exit 2 and one line naming traffic.executor", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rushhour-suite-vus-"));
    writeFileSync(
      join(dir, "vus.ts"),
      `export default ${JSON.stringify({ ...SCENARIO, name: "vus", traffic: { executor: "constant-vus", vus: 2, duration: "2s" } })};\n`,
    );
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const code = await main(["suite", dir, "--no-report", "--out", join(dir, "out")]);
    const text = err.mock.calls.map((c) => String(c[0])).join("");
    vi.restoreAllMocks();
    expect(code).toBe(2);
    expect(text).toContain(
      'traffic.executor: the simulator runs arrival-rate executors and replays (open model), not "constant-vus"',
    );
  });

  it("exits 2 with every problem named", async () => {
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const code = await main(["suite", "scenarios", "--mode", "warp", "--replications", "0"]);
    const text = err.mock.calls.map((c) => String(c[0])).join("");
    vi.restoreAllMocks();
    expect(code).toBe(2);
    expect(text).toContain('--mode must be sim, load or both, got "warp"');
    expect(text).toContain('--replications must be an integer between 1 and 1000, got "0"');
  });
});
