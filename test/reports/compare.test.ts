import { describe, expect, it } from "vitest";
import { compareRuns, formatChange, formatValue } from "../../reports/compare.ts";
import { comparisonTable, verdictLine } from "../../reports/markdown.ts";
import { fixtureRun } from "./fixtures.ts";

describe("compareRuns (the before/after table)", () => {
  const before = fixtureRun({ config: "legacy", latencyScale: 3.5, peak: 200, cpuPeak: 0.9, retries: 40 });
  const after = fixtureRun({ config: "adaptive", latencyScale: 1, peak: 1500, cpuPeak: 0.65, retries: 10 });
  const c = compareRuns(before, after);
  const row = (key: string) => c.rows.find((r) => r.key === key)!;

  it("takes before and after as means over replications", () => {
    // fixture replications: p99 = 2000 * scale * (1 + 0.01k), k = 0..2 -> mean 2020 * scale
    expect(row("p99Ms").before).toBeCloseTo(7070, 6);
    expect(row("p99Ms").after).toBeCloseTo(2020, 6);
    expect(row("peakThroughput").before).toBeCloseTo(198, 6);
    expect(row("cpuPeak").after).toBeCloseTo(0.65, 10);
  });

  it("computes the relative change and a paired interval (same seeds)", () => {
    const p99 = row("p99Ms");
    expect(p99.estimate.method).toBe("paired-bootstrap");
    expect(p99.estimate.relative).toBeCloseTo(1 / 3.5 - 1, 10);
    expect(p99.estimate.relativeCi!.lo).toBeCloseTo(1 / 3.5 - 1, 10);
    expect(formatChange(p99)).toBe("-71% [-71%, -71%]");
  });

  it("says better for lower latency, CPU and retries, and for higher throughput", () => {
    expect(c.verdict).toBe("better");
    for (const key of ["peakThroughput", "p50Ms", "p95Ms", "p99Ms", "cpuPeak", "retries"]) {
      expect(row(key).verdict, key).toBe("better");
    }
    expect(row("errorRate").verdict).toBe("no significant change");
  });

  it("renders the write-up's table form", () => {
    const table = comparisonTable(c);
    expect(table.split("\n")[0]).toBe(
      "| metric | before (legacy) | after (adaptive) | change [95% CI] | direction | verdict |",
    );
    expect(table).toContain(
      "| P99 latency | 7,070 ms | 2,020 ms | -71% [-71%, -71%] | lower is better | better |",
    );
    expect(table).toContain("| CPU peak | 90% | 65% | -28% [-28%, -28%] | lower is better | better |");
    expect(table).toContain(
      "| Peak delivered (raw) | 198/s | 1,485/s | +650% [+650%, +650%] | higher is better | better |",
    );
    // These fixtures predate goodput: the raw peak stands in as the headline.
    expect(verdictLine(c)).toBe(
      "fixture: better — peak throughput 198/s → 1,485/s (+650% [+650%, +650%]), " +
        "P99 7,070 ms → 2,020 ms (-71% [-71%, -71%]), legacy → adaptive",
    );
  });

  it("runs the rank test on the HDR-derived samples: the candidate is faster", () => {
    expect(c.rank!.probabilityOfSuperiority).toBeLessThan(0.5);
    expect(c.rank!.p).toBeLessThan(0.001);
  });

  it("falls back to order-statistic intervals with one unpaired replication per side", () => {
    const one = compareRuns(
      fixtureRun({ config: "a", seeds: [1] }),
      fixtureRun({ config: "b", seeds: [2], latencyScale: 1.5 }),
    );
    expect(one.p99.estimate.method).toBe("order-statistic");
    // intervals: base [1980, 2020], cand [2970, 3030] -> delta [950, 1050] on 2000
    expect(one.p99.estimate.ci).toEqual({ lo: 950, hi: 1050 });
    expect(one.verdict).toBe("worse");
    expect(one.rows.find((r) => r.key === "cpuPeak")!.verdict).toBe("not tested");
  });

  it("formats values with their units", () => {
    expect(formatValue(0.0015, "%")).toBe("0.15%");
    expect(formatValue(1234.4, "ms")).toBe("1,234 ms");
    expect(formatValue(Number.NaN, "ms")).toBe("n/a");
  });
});
