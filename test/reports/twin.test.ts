// The twin's judgement (reports/twin.ts): tolerances parsed per metric with their own units, and the two
// health timelines compared on when each side first isolated a provider.
import { describe, expect, it } from "vitest";
import {
  compareIsolation,
  DEFAULT_TOLERANCES,
  parseTolerances,
  type TwinReport,
  twinFailures,
  twinMarkdown,
} from "../../reports/twin.ts";
import { compareStages } from "../../reports/twin-stages.ts";
import type { LatencyHistogram } from "../../results/histogram.ts";
import type { RunResult } from "../../results/run-result.ts";
import { recordStages } from "../../results/stages.ts";
import { syntheticRunResult } from "./run-result-fixture.ts";

/** The fixture's run (5 s windows, prov-a isolated in windows 8-11) with prov-a's isolation moved by `shift` windows. */
function isolatedAt(shift: number | null): RunResult {
  const r = syntheticRunResult({ config: "adaptive", seed: 1 });
  return {
    ...r,
    series: r.series.map((w, i) => ({
      ...w,
      providers: w.providers.map((p) =>
        p.id === "prov-a"
          ? { ...p, state: shift !== null && i >= 8 + shift && i < 12 + shift ? "PROBING" : "HEALTHY" }
          : p,
      ),
    })),
  };
}

/** A twin report with no metric rows, and the given isolation rows and stage rows. */
function reportWith(part: Partial<Pick<TwinReport, "isolation" | "stages">>): TwinReport {
  return {
    scenario: "s",
    config: "c",
    replications: 1,
    calibration: null,
    rows: [],
    isolation: [],
    stages: [],
    ...part,
  };
}

describe("twin tolerances", () => {
  it("take windows for isolation and refuse a unit a metric does not take, naming the item", () => {
    expect(parseTolerances("isolation=1w").isolation).toEqual({ kind: "windows", value: 1 });
    expect(parseTolerances("isolation=3,p99=20%")).toMatchObject({
      isolation: { kind: "windows", value: 3 },
      p99: { kind: "relative", value: 0.2 },
    });
    expect(() => parseTolerances("isolation=2%")).toThrow(
      '--tolerance: isolation takes windows (e.g. isolation=2w), got "isolation=2%"',
    );
    expect(() => parseTolerances("p99=2w")).toThrow('--tolerance: p99 does not take windows, got "p99=2w"');
    expect(() => parseTolerances("health=2w")).toThrow(
      'unknown metric "health"; known: p50, p95, p99, throughput, cpu, errors, isolation',
    );
  });
});

describe("the health timelines compared", () => {
  const tol = DEFAULT_TOLERANCES.isolation;

  it("agree when both sides first isolate the provider within the tolerance's windows", () => {
    const rows = compareIsolation(isolatedAt(0), isolatedAt(2), tol);
    expect(rows).toEqual([
      { provider: "prov-a", simulatedAt: 40, liveAt: 50, differenceWindows: 2, tolerance: tol, pass: true },
    ]);
  });

  it("disagree beyond it, or when one side never isolates, and say so in one line each", () => {
    const late = compareIsolation(isolatedAt(0), isolatedAt(3), tol);
    expect(late[0]).toMatchObject({ differenceWindows: 3, pass: false });
    const never = compareIsolation(isolatedAt(0), isolatedAt(null), tol);
    expect(never[0]).toMatchObject({ simulatedAt: 40, liveAt: null, differenceWindows: null, pass: false });
    expect(twinFailures([], [...late, ...never])).toEqual([
      "prov-a isolated: simulated 40.0 s vs live 55.0 s, 3 windows apart (tolerance ±2.00 windows)",
      "prov-a isolated: simulated 40.0 s vs live never (tolerance ±2.00 windows)",
    ]);
    const md = twinMarkdown(reportWith({ isolation: late }));
    expect(md).toContain("| prov-a | 40.0 s | 55.0 s | 3 | ±2.00 windows | **outside** |");
  });

  it("have nothing to compare when neither side isolates anything", () => {
    expect(compareIsolation(isolatedAt(null), isolatedAt(null), tol)).toEqual([]);
  });
});

/** The fixture's run with delivered orders whose core timings and latencies are the given ones. */
function withStages(
  orders: { latency: number; allocating: number; issuing: number; core: number }[],
): RunResult {
  const r = syntheticRunResult({ config: "adaptive", seed: 1 });
  const by = new Map<string, LatencyHistogram>();
  for (const o of orders) {
    recordStages(by, o.latency, { allocatingMs: o.allocating, issuingMs: o.issuing, totalMs: o.core });
  }
  const byStage = Object.fromEntries([...by].map(([k, h]) => [k, h.encode()]));
  return { ...r, histograms: { ...r.histograms, byStage } };
}

describe("the twin's stage table", () => {
  it("puts each stage's P50 and P99 side by side, with what the latency left outside the core", () => {
    const sim = withStages(
      Array.from({ length: 100 }, () => ({ latency: 74, allocating: 18, issuing: 47, core: 70 })),
    );
    const live = withStages(
      Array.from({ length: 100 }, () => ({ latency: 87, allocating: 17, issuing: 52, core: 77 })),
    );
    const rows = compareStages(sim, live);
    expect(rows.map((r) => r.stage)).toEqual(["allocating", "issuing", "core", "outside"]);
    const at = (stage: string) => rows.find((r) => r.stage === stage)!;
    expect(at("issuing").simulated.p50).toBeCloseTo(47, 1);
    expect(at("issuing").live.p50).toBeCloseTo(52, 1);
    expect(at("outside").simulated.p50).toBeCloseTo(4, 1);
    expect(at("outside").live.p50).toBeCloseTo(10, 1);
    const md = twinMarkdown(reportWith({ stages: rows }));
    expect(md).toContain(
      "| issuing (provider calls) | 47.0 ms | 52.0 ms | +5.0 ms | 47.0 ms | 52.0 ms | +5.0 ms |",
    );
  });

  it("is left out when either run was recorded without stages", () => {
    const plain = syntheticRunResult({ config: "adaptive", seed: 1 });
    const staged = withStages([{ latency: 10, allocating: 1, issuing: 5, core: 8 }]);
    expect(compareStages(plain, staged)).toEqual([]);
    expect(compareStages(staged, plain)).toEqual([]);
    const md = twinMarkdown(reportWith({}));
    expect(md).not.toContain("Where a delivered order's time goes");
  });
});
