import { describe, expect, it } from "vitest";
import { gateMarkdown, githubAnnotations, gitlabCodeQuality } from "../../reports/ci-formats.ts";
import { gate } from "../../reports/gate.ts";
import { fixtureRun } from "./fixtures.ts";

const checks = [
  {
    suite: "promo-peak",
    name: "p99 regression (legacy -> adaptive)",
    ok: false,
    message: "P99 +20%, 50% worse\nnext",
    file: "baselines/promo-peak.adaptive.json",
  },
  { suite: "promo-peak", name: "no duplicate cards (adaptive)", ok: true, message: "0 duplicate cards" },
  { suite: "hot-sku", name: "threshold latency p(99)<3000 (adaptive)", ok: false, message: "failed" },
];

describe("gate output for CI systems", () => {
  it("GitHub: one ::error per failed check, escaped the way workflow commands need", () => {
    expect(githubAnnotations(checks)).toEqual([
      "::error file=baselines/promo-peak.adaptive.json,title=rushhour gate%3A promo-peak%3A p99 regression (legacy -> adaptive)::P99 +20%25, 50%25 worse%0Anext",
      "::error title=rushhour gate%3A hot-sku%3A threshold latency p(99)<3000 (adaptive)::failed",
    ]);
  });

  it("GitLab: one major code-quality issue per failed check, stable fingerprints", () => {
    const issues = gitlabCodeQuality(checks);
    expect(issues.map((i) => [i.check_name, i.severity, i.location.path])).toEqual([
      ["rushhour-gate/p99-regression", "major", "baselines/promo-peak.adaptive.json"],
      ["rushhour-gate/threshold-latency-p(99)<3000", "major", "baselines"],
    ]);
    expect(gitlabCodeQuality(checks)[0]?.fingerprint).toBe(issues[0]?.fingerprint);
    expect(new Set(issues.map((i) => i.fingerprint)).size).toBe(2);
  });

  it("the Markdown summary has the verdict, the failed checks, each pair's table and the report link", () => {
    const base = fixtureRun({ config: "adaptive", scenario: "promo-peak" });
    const worse = fixtureRun({ config: "adaptive", scenario: "promo-peak", latencyScale: 1.2 });
    const result = gate([base], [worse], { maxP99Regression: 0.05 });
    const md = gateMarkdown(result, {
      maxP99Regression: 0.05,
      reportUrl: "https://ci.example/report",
    });
    expect(md).toContain("## rushhour gate: **failed**");
    expect(md).toContain("- promo-peak: P99 regressed +20%");
    expect(md).toContain("### promo-peak");
    expect(md).toMatch(/\| P99 latency \| 2,020 ms \| 2,424 ms \|/);
    expect(md).toContain("[https://ci.example/report](https://ci.example/report)");
  });
});
