import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../../cli/main.ts";
import { checkPair, gate } from "../../reports/gate.ts";
import { junitXml } from "../../reports/junit.ts";
import { writeRunResult } from "../../results/run-result.ts";
import { fixtureRun } from "./fixtures.ts";
import { syntheticRunResult } from "./run-result-fixture.ts";

describe("gate checks (pure)", () => {
  const base = fixtureRun({ config: "adaptive", scenario: "promo-peak" });

  it("passes an identical rerun", () => {
    const r = gate([base], [fixtureRun({ config: "adaptive", scenario: "promo-peak" })], {
      maxP99Regression: 0.05,
    });
    expect(r.ok).toBe(true);
    expect(r.failures).toEqual([]);
  });

  it("fails a P99 regression whose whole interval is beyond the allowance, in one line", () => {
    const worse = fixtureRun({ config: "adaptive", scenario: "promo-peak", latencyScale: 1.2 });
    const checks = checkPair(base, worse, { maxP99Regression: 0.05 });
    const p99 = checks.find((c) => c.name.startsWith("p99"))!;
    expect(p99.ok).toBe(false);
    expect(p99.message).toBe(
      "promo-peak: P99 regressed +20% [95% CI +20%, +20%] (2,020 ms -> 2,424 ms), beyond the allowed +5.0%",
    );
  });

  it("lets a regression within the allowance pass", () => {
    const slightly = fixtureRun({ config: "adaptive", scenario: "promo-peak", latencyScale: 1.03 });
    expect(gate([base], [slightly], { maxP99Regression: 0.05 }).ok).toBe(true);
    expect(gate([base], [slightly], { maxP99Regression: 0.01 }).ok).toBe(false);
  });

  it("fails on a failed absolute threshold even without a regression", () => {
    const cand = fixtureRun({ config: "adaptive", scenario: "promo-peak", latencyScale: 1.6 });
    const r = gate([cand], [cand], { maxP99Regression: 0.05 });
    expect(r.failures).toEqual([
      "promo-peak / adaptive: threshold latency p(99)<3000 failed (observed 3200)",
    ]);
  });

  it("fails a scenario that lost its candidate or has no baseline", () => {
    const other = fixtureRun({ config: "adaptive", scenario: "hot-sku" });
    const third = fixtureRun({ config: "adaptive", scenario: "vip-surge" });
    const r = gate([base, other], [base, third], { maxP99Regression: 0.05 });
    expect(r.failures).toEqual([
      "hot-sku / adaptive: in the baseline but missing from the candidate runs",
      "vip-surge / adaptive: no baseline to compare with (accept one on purpose to start gating it)",
    ]);
  });

  it("writes JUnit XML with one testcase per check and escaped failure messages", () => {
    const xml = junitXml([
      { suite: "promo-peak", name: "p99 regression (a -> b)", ok: true, message: "fine" },
      {
        suite: "promo-peak",
        name: "threshold latency p(99)<2000 (b)",
        ok: false,
        message: 'p(99)<2000 "failed"',
      },
    ]);
    expect(xml).toBe(
      [
        `<?xml version="1.0" encoding="UTF-8"?>`,
        `<testsuites name="rushhour gate" tests="2" failures="1">`,
        `  <testsuite name="promo-peak" tests="2" failures="1">`,
        `    <testcase classname="rushhour.gate.promo-peak" name="p99 regression (a -&gt; b)"/>`,
        `    <testcase classname="rushhour.gate.promo-peak" name="threshold latency p(99)&lt;2000 (b)">`,
        `      <failure message="p(99)&lt;2000 &quot;failed&quot;"/>`,
        "    </testcase>",
        "  </testsuite>",
        "</testsuites>",
        "",
      ].join("\n"),
    );
  });
});

describe("rushhour gate on RunResult files (seeded synthetic runs with real HDR histograms)", () => {
  let dir: string;
  const quiet = () => {
    vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "rushhour-gate-"));
    const run = (sub: string, seed: number, medianMs: number, extra = {}) =>
      writeRunResult(
        join(dir, sub, "promo-peak.adaptive.json"),
        syntheticRunResult({ scenario: "promo-peak", config: "adaptive", seed, medianMs, ...extra }),
      );
    run("base", 1, 200);
    run("rerun", 2, 200);
    run("worse", 3, 300);
    run("dup", 1, 200, { duplicateCards: 2 });
  });
  afterAll(() => vi.restoreAllMocks());

  it("exits 0 on a rerun of the baseline with another seed", async () => {
    quiet();
    const junit = join(dir, "out", "gate.xml");
    const code = await main([
      "gate",
      "--baseline",
      join(dir, "base"),
      "--candidate",
      join(dir, "rerun"),
      "--junit",
      junit,
    ]);
    vi.restoreAllMocks();
    expect(code).toBe(0);
    expect(readFileSync(junit, "utf8")).toContain('failures="0"');
  });

  it("exits 1 on a candidate whose P99 is clearly worse, with a JUnit failure", async () => {
    quiet();
    const junit = join(dir, "out", "worse.xml");
    const code = await main([
      "gate",
      "--baseline",
      join(dir, "base"),
      "--candidate",
      join(dir, "worse"),
      "--junit",
      junit,
    ]);
    const err = vi
      .mocked(process.stderr.write)
      .mock.calls.map((c) => String(c[0]))
      .join("");
    vi.restoreAllMocks();
    expect(code).toBe(1);
    expect(err).toMatch(/^FAIL promo-peak: P99 regressed \+\d+% \[95% CI/);
    expect(readFileSync(junit, "utf8")).toContain('<failure message="promo-peak: P99 regressed');
  });

  it("exits 1 on duplicate cards", async () => {
    quiet();
    const code = await main(["gate", "--baseline", join(dir, "base"), "--candidate", join(dir, "dup")]);
    vi.restoreAllMocks();
    expect(code).toBe(1);
  });

  it("exits 2 on bad input, naming it", async () => {
    quiet();
    const missing = await main(["gate", "--baseline", join(dir, "nope"), "--candidate", join(dir, "rerun")]);
    const badPct = await main([
      "gate",
      "--baseline",
      dir,
      "--candidate",
      dir,
      "--max-p99-regression",
      "lots",
    ]);
    const noFlag = await main(["gate", "--candidate", dir]);
    const err = vi
      .mocked(process.stderr.write)
      .mock.calls.map((c) => String(c[0]))
      .join("");
    vi.restoreAllMocks();
    expect([missing, badPct, noFlag]).toEqual([2, 2, 2]);
    expect(err).toContain("nope: no such file or folder");
    expect(err).toContain('got "lots"');
    expect(err).toContain("--baseline is required");
  });
});
