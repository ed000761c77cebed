// Live topology runs carry more than numbers: the store audit, chaos actions and artifacts (a profile). The
// report shows them, links artifacts from wherever it is written, and the gate fails a failed audit.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { gate } from "../../reports/gate.ts";
import { loadRuns } from "../../reports/load-runs.ts";
import { writeReport } from "../../reports/write-report.ts";
import { writeRunResult } from "../../results/run-result.ts";
import { syntheticRunResult } from "./run-result-fixture.ts";

function liveRun(auditPass: boolean) {
  return {
    ...syntheticRunResult({ scenario: "chaos-kill", config: "adaptive", seed: 1, replications: 1 }),
    topology: [{ name: "serve-1", address: "127.0.0.1:5001" }],
    chaos: [{ t: 12, action: "kill -9", target: "serve-1", outcome: "ok", recoveredT: 15.5 }],
    audit: {
      pass: auditPass,
      duplicateCards: 0,
      nonTerminalOrders: auditPass ? 0 : 3,
      failedHoldingCards: 0,
      deliveredWithoutCard: 0,
      totalOrders: 4000,
      totalCards: 5000,
      drainSeconds: 2,
      problems: auditPass ? [] : ["3 orders never finished"],
    },
    artifacts: [{ label: "clinic doctor", path: "profile/doctor.html" }],
  };
}

describe("run details of live topology runs", () => {
  it("shows topology, chaos, audit and a working relative link to each artifact", () => {
    const dir = mkdtempSync(join(tmpdir(), "rushhour-details-"));
    writeRunResult(join(dir, "runs", "chaos-kill.adaptive.json"), liveRun(true));
    const files = writeReport(
      loadRuns([join(dir, "runs")]).map((r) => r.view),
      join(dir, "report"),
      { png: false },
    );
    const html = readFileSync(files.html, "utf8");
    expect(html).toContain('<a href="../runs/profile/doctor.html">clinic doctor</a>');
    expect(html).toContain("topology: serve-1 127.0.0.1:5001");
    expect(html).toMatch(
      /<td class="num">12\.0 s<\/td><td>kill -9<\/td><td>serve-1<\/td><td>ok<\/td><td class="num">15\.5 s<\/td>/,
    );
    expect(html).toContain('store audit: <span class="better">passed</span>');
  });

  it("fails the gate on a failed store audit, in one line", () => {
    const dir = mkdtempSync(join(tmpdir(), "rushhour-details-"));
    writeRunResult(join(dir, "ok.json"), liveRun(true));
    writeRunResult(join(dir, "bad.json"), liveRun(false));
    const [ok] = loadRuns([join(dir, "ok.json")]).map((r) => r.view);
    const [bad] = loadRuns([join(dir, "bad.json")]).map((r) => r.view);
    const r = gate([ok!], [bad!], { maxP99Regression: 0.05 });
    expect(r.failures).toEqual([
      "chaos-kill / adaptive: store audit failed (4000 orders, 5000 cards: 0 duplicate cards, 3 non-terminal orders, " +
        "0 failed orders holding cards, 0 delivered without a card)",
    ]);
  });
});
