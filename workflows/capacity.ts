// `rushhour capacity`'s work: the simulated capacity search, the live confirmation, the live USL sweep and the
// page that shows them. Live runs go through a LiveRunner (the live workflow, in-process).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { linearRegression } from "simple-statistics";
import {
  formatBacklogGrowth,
  MAX_BACKLOG_GROWTH,
  type Probe,
  type SearchResult,
  searchCapacity,
} from "../reports/capacity/search.ts";
import type { UslFit, UslPoint } from "../reports/capacity/usl.ts";
import { fitUsl } from "../reports/capacity/usl.ts";
import { capacitySearchChart, uslChart, uslResidualChart } from "../reports/charts/usl.ts";
import { escapeHtml } from "../reports/html.ts";
import { findFont, svgToPng } from "../reports/png.ts";
import type { RunResult } from "../results/run-result.ts";
import { parseThreshold } from "../results/thresholds.ts";
import { type Scenario, validateScenario } from "../scenarios/define.ts";
import type { DispatchConfig } from "../server/core/config.ts";
import { simulate } from "../simulator/runner.ts";
import { peakRate } from "../traffic/profile.ts";
import type { Arm } from "./arms.ts";
import { startScenarioStack } from "./scenario-stack.ts";
import { constantRateScenario } from "./steady.ts";
import { type LiveRunner, liveRunner } from "./suite.ts";

export interface Objective {
  p99Ms: number;
  /** Highest (failed + rejected) / submitted that still counts as meeting it: shedding is not capacity. */
  maxErrorRate: number;
}

/** The scenario's P99 objective (its `latency: p(99)<X` threshold) and error-rate limit (else 1%). */
export function objectiveOf(scenario: Scenario, overrideMs?: number): Objective | undefined {
  const parse = (metric: string) =>
    (scenario.thresholds[metric] ?? [])
      .map((e) => parseThreshold(e))
      .filter((t) => t.op === "<" || t.op === "<=");
  const p99 = parse("latency").find((t) => t.aggregation.kind === "p" && t.aggregation.percentile === 99);
  const errors = parse("errors").find((t) => t.aggregation.kind === "rate");
  const p99Ms = overrideMs ?? p99?.value;
  if (p99Ms === undefined) return undefined;
  return { p99Ms, maxErrorRate: errors?.value ?? 0.01 };
}

export interface CapacityOptions {
  configName: string;
  config: DispatchConfig;
  objective: Objective;
  durationMs: number;
  replications: number;
  tolerance: number;
  maxProbes: number;
  onProbe?: (p: Probe) => void;
}

/** One simulated probe of the search: the scenario at `rate`, judged against the objective. */
export function capacityProbe(scenario: Scenario, o: CapacityOptions): (rate: number) => Promise<Probe> {
  return async (rate) => {
    const [r] = simulate(constantRateScenario(scenario, rate, o.durationMs), {
      arms: [{ name: o.configName, role: "single", config: o.config }],
      replications: o.replications,
    });
    const p = judge(rate, r!, o.objective, o.durationMs / 1000);
    o.onProbe?.(p);
    return p;
  };
}

/** The rate the search starts from: the scenario's peak. */
export function searchStart(scenario: Scenario): number {
  return Math.max(1, Math.round(peakRate(scenario.traffic)));
}

export async function simulatedCapacity(scenario: Scenario, o: CapacityOptions): Promise<SearchResult> {
  return searchCapacity(capacityProbe(scenario, o), {
    start: searchStart(scenario),
    tolerance: o.tolerance,
    maxProbes: o.maxProbes,
  });
}

/**
 * How fast orders piled up during the traffic: the least-squares slope of the orders in flight at each
 * window's end (orders/s) over the traffic's windows after the first (the ramp to a steady state), as a
 * share of `rate`. 0 with fewer than three such windows.
 */
export function backlogGrowth(r: RunResult, rate: number, trafficS: number): number {
  const points = r.series
    .filter((w) => w.t > 0 && w.t + r.windowSeconds <= trafficS + 1e-9)
    .map((w) => [w.t + r.windowSeconds, w.inFlight]);
  if (points.length < 3 || rate <= 0) return 0;
  return linearRegression(points).m / rate;
}

/** A steady run at `rate` for `trafficS` against the objective: P99, error rate and a backlog that holds. */
export function judge(
  rate: number,
  r: RunResult,
  objective: Objective,
  trafficS: number,
): Probe & { backlogGrowth: number } {
  const p99Ms = r.summary.p99.mean;
  const errorRate = r.summary.errorRate.mean;
  const growth = backlogGrowth(r, rate, trafficS);
  return {
    rate,
    p99Ms,
    errorRate,
    backlogGrowth: growth,
    ok: p99Ms < objective.p99Ms && errorRate <= objective.maxErrorRate && growth <= MAX_BACKLOG_GROWTH,
  };
}

/** The scenario (its definition) with new traffic, no faults and no duration scale, validated again. */
export function scenarioWithTraffic(
  scenario: Scenario,
  traffic: Record<string, unknown>,
  /** Every live run against the same server needs its own seed: the seed makes the order ids. */
  seed: number,
): Scenario {
  const def = scenario.definition as Record<string, unknown>;
  const { compare, ...rest } = def as { compare?: { baseline: string; candidate: string } };
  const live = { ...((def.live as object | undefined) ?? {}), durationScale: 1 };
  return validateScenario(
    {
      ...rest,
      ...(compare ? { compare: { baseline: compare.baseline, candidate: compare.candidate } } : {}),
      seed,
      traffic,
      faults: [],
      live,
    },
    scenario.file,
  );
}

export interface LiveConfirmation {
  rate: number;
  durationS: number;
  p99Ms: number;
  errorRate: number;
  /** The backlog's growth during the step, as a share of the rate (backlogGrowth). */
  backlogGrowth: number;
  dropped: number;
  ok: boolean;
}

export async function confirmLive(
  scenario: Scenario,
  rate: number,
  durationS: number,
  objective: Objective,
  live: LiveRunner,
): Promise<LiveConfirmation> {
  const [r] = await live(
    scenarioWithTraffic(
      scenario,
      { executor: "constant-arrival-rate", rate: Math.round(rate), duration: `${durationS}s` },
      scenario.seed + 1_000_003,
    ),
  );
  const p = judge(rate, r!, objective, durationS);
  return {
    rate,
    durationS,
    p99Ms: p.p99Ms,
    errorRate: p.errorRate,
    backlogGrowth: p.backlogGrowth,
    dropped: r!.counters.dropped,
    ok: p.ok && r!.counters.dropped === 0,
  };
}

export async function uslSweep(
  scenario: Scenario,
  levels: readonly number[],
  durationS: number,
  live: LiveRunner,
  onLevel?: (n: number, x: number) => void,
): Promise<UslPoint[]> {
  const points: UslPoint[] = [];
  for (const n of levels) {
    const [r] = await live(
      scenarioWithTraffic(
        scenario,
        { executor: "constant-vus", vus: n, duration: `${durationS}s` },
        scenario.seed + 7919 * n,
      ),
    );
    // Delivered over the traffic's length: window means would count the drain's empty windows.
    const x = r!.counters.delivered / durationS;
    onLevel?.(n, x);
    // A run that delivered nothing failed to run; fitting it would mean fitting the failure.
    if (x > 0) points.push({ n, x });
  }
  return points;
}

export interface CapacityReport {
  scenario: string;
  config: string;
  objective: Objective;
  search: SearchResult;
  live?: LiveConfirmation;
  liveNote?: string;
  usl?: { points: UslPoint[]; fit: UslFit };
  uslNote?: string;
}

export interface LiveCapacityOptions {
  /** The configuration being sized. */
  arm: Arm;
  /** constant-vus levels of the USL sweep. */
  levels: readonly number[];
  uslSeconds: number;
  confirmSeconds: number;
  /** The best simulated rate (0: nothing met the objective, so no confirmation). */
  best: number;
  objective: Objective;
  log: (line: string) => void;
  warn?: (line: string) => void;
}

/**
 * The live half of a capacity report: a USL sweep of constant-vus runs, then a live run at the best simulated
 * rate, all on one local stack (each run re-applies the configuration and its stock through the Admin API, so
 * the stack's start-up cost is paid once).
 */
export async function liveCapacity(
  scenario: Scenario,
  o: LiveCapacityOptions,
): Promise<Pick<CapacityReport, "live" | "liveNote" | "usl" | "uslNote">> {
  const out: Pick<CapacityReport, "live" | "liveNote" | "usl" | "uslNote"> = {};
  o.log("starting a provider farm and rushhour serve on 127.0.0.1");
  const stack = await startScenarioStack(scenario, o.arm.config);
  try {
    const live = liveRunner({
      // Role "single": the run drives the probe's own traffic, not a role's override.
      arm: { ...o.arm, role: "single" },
      targets: [stack.target],
      // The backup the scenario deploys serves the confirmation's overflow: its CPU goes into the series.
      observed: stack.backup === null ? [] : [stack.backup],
      adminToken: stack.adminToken,
      ...(o.warn ? { warn: o.warn } : {}),
    });
    const points = await uslSweep(scenario, o.levels, o.uslSeconds, live, (n, x) =>
      o.log(`live constant-vus ${n}: ${x.toFixed(1)}/s`),
    );
    try {
      out.usl = { points, fit: fitUsl(points) };
    } catch (err) {
      out.uslNote = `USL fit not possible: ${(err as Error).message}`;
    }
    // Last: the confirmation may overload this machine, and its backlog must not leak into the sweep.
    if (o.best > 0) {
      o.log(`live ${o.best.toFixed(0)}/s for ${o.confirmSeconds} s`);
      out.live = await confirmLive(scenario, o.best, o.confirmSeconds, o.objective, live);
    } else {
      out.liveNote = "live confirmation skipped: no simulated rate met the objective";
    }
  } finally {
    await stack.stop();
  }
  return out;
}

export function writeCapacityReport(rep: CapacityReport, outDir: string): { html: string; json: string } {
  mkdirSync(join(outDir, "charts"), { recursive: true });
  const font = findFont();
  const charts: Array<{ id: string; svg: string; caption: string }> = [
    {
      id: "capacity-search",
      svg: capacitySearchChart(rep.search.probes, rep.objective.p99Ms),
      caption:
        "Each point is one simulated run at a constant arrival rate (no faults). Green met the objective (P99 and " +
        "error rate), red missed it; the search brackets the boundary and bisects it.",
    },
  ];
  if (rep.usl) {
    charts.push(
      {
        id: "usl",
        svg: uslChart(rep.usl.points, rep.usl.fit),
        caption:
          "Throughput measured live at each concurrency (constant-vus) and the Universal Scalability Law fitted to " +
          "it. alpha is contention, beta coherency cost; throughput peaks at N* and falls beyond it.",
      },
      {
        id: "usl-residuals",
        svg: uslResidualChart(rep.usl.points, rep.usl.fit),
        caption:
          "Measured minus fitted throughput. A pattern (not noise around zero) means the model misses something.",
      },
    );
  }
  for (const c of charts) writeFileSync(join(outDir, "charts", `${c.id}.png`), svgToPng(c.svg, font));
  const rows = [...rep.search.probes]
    .sort((a, b) => a.rate - b.rate)
    .map(
      (p) =>
        `<tr><td class="num">${p.rate.toFixed(0)}</td><td class="num">${p.p99Ms.toFixed(0)} ms</td>` +
        `<td class="num">${(p.errorRate * 100).toFixed(2)}%</td>` +
        `<td class="num">${formatBacklogGrowth(p.backlogGrowth)}</td>` +
        `<td>${p.ok ? "met" : "missed"}</td></tr>`,
    )
    .join("");
  const lines = capacitySummary(rep)
    .map((l) => `<li>${escapeHtml(l)}</li>`)
    .join("");
  const html = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>rushhour capacity: ${escapeHtml(rep.scenario)}</title>
<style>body{font-family:"DejaVu Sans",Verdana,sans-serif;max-width:1000px;margin:0 auto;padding:16px 24px;color:#222}
table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:3px 10px}td.num{text-align:right}
figcaption{font-size:.9em;color:#444;max-width:760px}svg{max-width:100%;height:auto;border:1px solid #eee}</style></head><body>
<h1>Capacity: ${escapeHtml(rep.scenario)} (${escapeHtml(rep.config)})</h1><ul>${lines}</ul>
${charts.map((c) => `<figure data-chart-id="${c.id}">${c.svg}<figcaption>${escapeHtml(c.caption)} <a href="charts/${c.id}.png">PNG</a></figcaption></figure>`).join("\n")}
<h2>Probes</h2><table><thead><tr><th>rate (orders/s)</th><th>P99</th><th>error rate</th><th>backlog growth a second</th><th>objective</th></tr></thead><tbody>${rows}</tbody></table>
</body></html>
`;
  const htmlPath = join(outDir, "index.html");
  const jsonPath = join(outDir, "capacity.json");
  writeFileSync(htmlPath, html);
  writeFileSync(
    jsonPath,
    `${JSON.stringify(rep, (_k, v) => (v === Number.POSITIVE_INFINITY ? null : v), 2)}\n`,
  );
  return { html: htmlPath, json: jsonPath };
}

export function capacitySummary(rep: CapacityReport): string[] {
  const o = rep.objective;
  const out = [
    `objective: P99 < ${o.p99Ms} ms with error rate <= ${(o.maxErrorRate * 100).toFixed(2)}%`,
    rep.search.best > 0
      ? `simulated capacity: ${rep.search.best.toFixed(0)} orders/s (missed at ${
          Number.isFinite(rep.search.firstFailing)
            ? `${rep.search.firstFailing.toFixed(0)} orders/s`
            : "no rate tried"
        }; ${rep.search.probes.length} simulated runs)`
      : `simulated capacity: below ${rep.search.probes.at(-1)?.rate.toFixed(1)} orders/s: no rate tried met the objective`,
  ];
  if (rep.live) {
    const l = rep.live;
    out.push(
      `live confirmation at ${l.rate.toFixed(0)} orders/s for ${l.durationS} s on this machine: P99 ${l.p99Ms.toFixed(0)} ms, ` +
        `errors ${(l.errorRate * 100).toFixed(2)}%, backlog growth ${formatBacklogGrowth(l.backlogGrowth)} of the rate a second, ` +
        `dropped ${l.dropped}: ${l.ok ? "confirmed" : "NOT confirmed"}`,
    );
  } else if (rep.liveNote) out.push(rep.liveNote);
  if (rep.usl) {
    const f = rep.usl.fit;
    out.push(
      `USL over ${rep.usl.points.length} live concurrency levels: lambda ${f.lambda.toFixed(1)}/s, alpha ${f.alpha.toFixed(4)}, ` +
        `beta ${f.beta.toExponential(2)}, peak concurrency N* = ${Number.isFinite(f.nStar) ? f.nStar.toFixed(1) : "none (beta = 0)"}` +
        `, predicted max ${Number.isFinite(f.xMax) ? `${f.xMax.toFixed(0)}/s` : "unbounded"}, R² ${f.r2.toFixed(3)}`,
    );
  } else if (rep.uslNote) out.push(rep.uslNote);
  return out;
}
