// The write-up's before/after, re-enacted by the seed-replay scenario in simulation and rendered as a report:
// the table must carry goodput, raw throughput, P99, the business rows, CPU peak and retries with an interval,
// a direction and a verdict each.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { toRunView } from "../../reports/from-run-result.ts";
import { type ReportFiles, writeReport } from "../../reports/write-report.ts";
import { loadScenario } from "../../scenarios/define.ts";
import { runSimulated } from "../../workflows/simulate.ts";

describe("the seed-replay report", () => {
  let files: ReportFiles;
  beforeAll(async () => {
    const scenario = await loadScenario("seed-replay");
    const results = await runSimulated(scenario, { replications: 2, command: ["test"] });
    files = writeReport(results.map(toRunView), mkdtempSync(join(tmpdir(), "rushhour-seed-replay-")), {
      png: false,
    });
  });

  it("shows the before/after table with goodput, raw throughput, P99, the business rows, CPU peak and retries", () => {
    const html = readFileSync(files.html, "utf8");
    const row = (metric: string) => {
      const m = new RegExp(`<tr data-metric="${metric}">(.*?)</tr>`).exec(html);
      expect(m, metric).not.toBeNull();
      return [...m![1]!.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((c) => c[1]!);
    };
    const [label, before, after, change, direction, verdict] = row("p99Ms");
    expect(label).toBe("P99 latency");
    expect(before).toMatch(/^[\d,.]+ ms$/);
    expect(after).toMatch(/^[\d,.]+ ms$/);
    expect(change).toMatch(/^-\d+% \[-\d+%, -\d+%\]$/);
    expect(direction).toBe("lower is better");
    expect(verdict).toBe("better");
    expect(row("goodputPeak").slice(4)).toEqual(["higher is better", "better"]);
    expect(row("peakThroughput")[5]).toBe("better");
    expect(row("cpuPeak")[5]).toBe("better");
    expect(row("interventionsPerDay")[1]).toMatch(/^[\d,.]+\/day$/);
    expect(row("complaintRiskPerDay")[4]).toBe("lower is better");
    expect(row("retries")[0]).toBe("Retries");
    expect(row("retries")[3]).toMatch(/\[.*\]/);
  });

  it("reproduces the write-up's direction: throughput up about 7x, P99 and CPU peak down", () => {
    const c = files.groups[0]!.comparison!;
    const get = (key: string) => c.rows.find((r) => r.key === key)!;
    expect(get("peakThroughput").after / get("peakThroughput").before).toBeGreaterThan(4);
    expect(get("p99Ms").after).toBeLessThan(get("p99Ms").before / 2);
    expect(get("cpuPeak").after).toBeLessThan(get("cpuPeak").before);
    expect(c.p99.estimate.method).toBe("paired-bootstrap");
    const md = readFileSync(files.markdown, "utf8");
    expect(md).toMatch(/^\| P99 latency \| [\d,.]+ ms \| [\d,.]+ ms \| -\d+% \[/m);
    expect(md).toMatch(/^\| CPU peak \| [\d.]+% \| [\d.]+% \| /m);
  });
});
