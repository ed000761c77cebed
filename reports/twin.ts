// The "simulated vs live" section of `rushhour twin`: per metric, the simulated value with its 95%
// interval over replications, the live value, the error, the tolerance and a verdict; and the overlay
// charts (the report's own latency, throughput and CPU charts, drawn with the simulated and the live run
// side by side). Pure: the workflow (workflows/twin.ts) runs the two sides and writes the files.
import { ci } from "../results/assemble.ts";
import type { Ci, RunResult } from "../results/run-result.ts";
import { formatBacklogGrowth, MAX_BACKLOG_GROWTH } from "./capacity/search.ts";
import { cpuChart } from "./charts/cpu.ts";
import { latencyOverTimeChart } from "./charts/latency-over-time.ts";
import { throughputChart } from "./charts/throughput.ts";
import { toRunView } from "./from-run-result.ts";
import { escapeHtml } from "./html.ts";
import { stagesHtml, stagesMarkdown, type TwinStageRow } from "./twin-stages.ts";

export const TWIN_METRICS = ["p50", "p95", "p99", "throughput", "cpu", "errors"] as const;
export type TwinMetric = (typeof TWIN_METRICS)[number];

/** How far simulated may be from live: a relative share (latency, throughput) or percentage points (CPU, errors). */
export interface Tolerance {
  kind: "relative" | "points" | "windows";
  /** 0.15 for 15%; 10 for 10 points; 2 for 2 windows. */
  value: number;
}
/** Per metric, and `isolation`: how many windows apart the two sides may first isolate a provider. */
export type Tolerances = Record<TwinMetric | "isolation", Tolerance>;

/** The issue's acceptance figures (docs: README "How far to trust the simulator"); P95 between P50 and P99. */
export const DEFAULT_TOLERANCES: Tolerances = {
  p50: { kind: "relative", value: 0.1 },
  p95: { kind: "relative", value: 0.15 },
  p99: { kind: "relative", value: 0.15 },
  throughput: { kind: "relative", value: 0.03 },
  cpu: { kind: "points", value: 10 },
  errors: { kind: "points", value: 1 },
  isolation: { kind: "windows", value: 2 },
};

const LABELS: Record<TwinMetric, string> = {
  p50: "P50",
  p95: "P95",
  p99: "P99",
  throughput: "throughput",
  cpu: "CPU peak",
  errors: "error rate",
};

const UNITS: Record<TwinMetric, string> = {
  p50: "ms",
  p95: "ms",
  p99: "ms",
  throughput: "/s",
  cpu: "%",
  errors: "%",
};

export class ToleranceError extends Error {
  override name = "ToleranceError";
}

/**
 * "p99=15%,cpu=10pt" over the defaults. Latency and throughput take a percentage ("15%"); CPU and error
 * rate take percentage points ("10pt" or "10"); isolation takes windows ("2w" or "2"). The error names
 * the item.
 */
export function parseTolerances(text: string, base: Tolerances = DEFAULT_TOLERANCES): Tolerances {
  const out: Tolerances = { ...base };
  for (const item of text.split(",").map((s) => s.trim())) {
    const m = /^([a-z0-9]+)=(\d+(?:\.\d+)?)(%|pt|w)?$/.exec(item);
    if (m === null) {
      throw new ToleranceError(`--tolerance: "${item}" is not METRIC=VALUE (e.g. p99=15% or cpu=10pt)`);
    }
    const metric = m[1] as keyof Tolerances;
    const known: readonly string[] = [...TWIN_METRICS, "isolation"];
    if (!known.includes(metric)) {
      throw new ToleranceError(`--tolerance: unknown metric "${m[1]}"; known: ${known.join(", ")}`);
    }
    const kind = base[metric].kind;
    const unit = m[3];
    if (kind === "windows" ? unit !== undefined && unit !== "w" : unit === "w") {
      throw new ToleranceError(
        kind === "windows"
          ? `--tolerance: ${metric} takes windows (e.g. ${metric}=2w), got "${item}"`
          : `--tolerance: ${metric} does not take windows, got "${item}"`,
      );
    }
    if (kind === "relative" && unit !== "%") {
      throw new ToleranceError(
        `--tolerance: ${metric} takes a percentage (e.g. ${metric}=15%), got "${item}"`,
      );
    }
    if (kind === "points" && unit === "%") {
      throw new ToleranceError(
        `--tolerance: ${metric} takes percentage points (e.g. ${metric}=10pt), got "${item}"`,
      );
    }
    const n = Number(m[2]);
    out[metric] = { kind, value: kind === "relative" ? n / 100 : n };
  }
  return out;
}

export interface TwinRow {
  metric: TwinMetric;
  label: string;
  unit: string;
  /** Mean over replications and its 95% interval, in the row's unit. */
  simulated: { mean: number; lo: number; hi: number };
  /** The mean over the live runs (one run: its value). */
  live: number;
  /** Each live run's value, in run order (`twin --live-runs`). */
  liveRuns: number[];
  /** The live mean's 95% interval over the runs (one run: lo = hi = live). */
  liveRange: { lo: number; hi: number };
  /** (simulated - live) / live for relative metrics (null when live is 0), simulated - live for points. */
  error: number | null;
  tolerance: Tolerance;
  pass: boolean;
}

/**
 * When each side first isolated a provider (the window, from the health timeline: ISOLATED or PROBING at
 * the window's end) and how many windows apart: issue 13 asks the twin to agree on when a faulty provider
 * is isolated, not only on latency.
 */
export interface TwinIsolation {
  provider: string;
  /** The first isolated window's start, seconds into the run; null: never isolated. */
  simulatedAt: number | null;
  liveAt: number | null;
  /** liveAt - simulatedAt in windows; null when one side never isolated it. */
  differenceWindows: number | null;
  tolerance: Tolerance;
  pass: boolean;
}

function firstIsolated(r: RunResult): Map<string, number> {
  const out = new Map<string, number>();
  for (const w of r.series) {
    for (const p of w.providers) {
      if (!out.has(p.id) && (p.state === "ISOLATED" || p.state === "PROBING")) out.set(p.id, w.t);
    }
  }
  return out;
}

/** One row per provider that either side isolated (none: nothing to disagree on). */
export function compareIsolation(sim: RunResult, live: RunResult, tolerance: Tolerance): TwinIsolation[] {
  const s = firstIsolated(sim);
  const l = firstIsolated(live);
  const ids = [...new Set([...s.keys(), ...l.keys()])].sort();
  const window = live.windowSeconds;
  return ids.map((provider) => {
    const simulatedAt = s.get(provider) ?? null;
    const liveAt = l.get(provider) ?? null;
    const differenceWindows =
      simulatedAt === null || liveAt === null ? null : Math.round((liveAt - simulatedAt) / window);
    return {
      provider,
      simulatedAt,
      liveAt,
      differenceWindows,
      tolerance,
      pass: differenceWindows !== null && Math.abs(differenceWindows) <= tolerance.value,
    };
  });
}

/** The highest CPU peak of any cluster/process, as a share (0..1), with its interval for a simulated run. */
function cpuPeak(r: RunResult): Ci {
  const all = Object.values(r.summary.cpuPeak);
  if (all.length === 0) return { mean: 0, lo: 0, hi: 0, n: 1 };
  return all.reduce((a, b) => (b.mean > a.mean ? b : a));
}

/**
 * Delivered orders per second of traffic, per replication: the two sides' series may differ in length (a
 * live drain waits for stragglers), so both are divided by the scenario's traffic duration.
 */
function throughput(r: RunResult, trafficSeconds: number): Ci {
  return ci(r.perReplication.map((p) => p.counters.delivered / trafficSeconds));
}

function pick(r: RunResult, metric: TwinMetric, trafficSeconds: number): Ci {
  const s = r.summary;
  const scale = (c: Ci, k: number): Ci => ({ ...c, mean: c.mean * k, lo: c.lo * k, hi: c.hi * k });
  switch (metric) {
    case "p50":
      return s.p50;
    case "p95":
      return s.p95;
    case "p99":
      return s.p99;
    case "throughput":
      return throughput(r, trafficSeconds);
    case "cpu":
      return scale(cpuPeak(r), 100);
    case "errors":
      return scale(s.errorRate, 100);
  }
}

/**
 * One row per metric: simulated (the calibrated run's replications) against live, judged by its tolerance.
 * With several live runs the error is against their mean: on a shared machine one live run's P50 can move
 * as much as the model's error (README, "How far to trust the simulator"), and the runs' interval shows it.
 */
export function compareTwin(
  sim: RunResult,
  lives: readonly RunResult[],
  tolerances: Tolerances,
  trafficSeconds: number,
): TwinRow[] {
  if (lives.length === 0) throw new Error("compareTwin: no live run");
  return TWIN_METRICS.map((metric) => {
    const s = pick(sim, metric, trafficSeconds);
    const liveRuns = lives.map((r) => pick(r, metric, trafficSeconds).mean);
    const spread = ci(liveRuns);
    const l = spread.mean;
    const tolerance = tolerances[metric];
    let error: number | null;
    let pass: boolean;
    if (tolerance.kind === "points") {
      error = s.mean - l;
      pass = Math.abs(error) <= tolerance.value;
    } else if (l === 0) {
      // Nothing live to be relative to: equal only if the simulation saw nothing either.
      error = s.mean === 0 ? 0 : null;
      pass = s.mean === 0;
    } else {
      error = (s.mean - l) / l;
      pass = Math.abs(error) <= tolerance.value;
    }
    return {
      metric,
      label: LABELS[metric],
      unit: UNITS[metric],
      simulated: { mean: s.mean, lo: s.lo, hi: s.hi },
      live: l,
      liveRuns,
      liveRange: { lo: spread.lo, hi: spread.hi },
      error,
      tolerance,
      pass,
    };
  });
}

function num(v: number): string {
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

/** The live cell: the value, and with several runs the mean with its 95% interval over them. */
function liveCell(r: TwinRow): string {
  if (r.liveRuns.length < 2) return `${num(r.live)} ${r.unit}`;
  return `${num(r.live)} ${r.unit} [${num(r.liveRange.lo)}, ${num(r.liveRange.hi)}]`;
}

/** How many live runs the rows compare against (every row has one value per run). */
function liveRunCount(rows: readonly TwinRow[]): number {
  return rows[0]?.liveRuns.length ?? 1;
}

/** "one run" or "3 runs (mean [95% CI])": what the live column holds. */
function liveRunsText(rows: readonly TwinRow[]): string {
  const n = liveRunCount(rows);
  return n < 2
    ? "one run"
    : `${n} runs (mean [95% CI]; the charts, stages and isolation times are the first run's)`;
}

export function formatError(row: TwinRow): string {
  if (row.error === null) return "n/a (live 0)";
  if (row.tolerance.kind === "points") return `${row.error >= 0 ? "+" : ""}${num(row.error)} pt`;
  return `${row.error >= 0 ? "+" : ""}${(row.error * 100).toFixed(1)}%`;
}

export function formatTolerance(t: Tolerance): string {
  if (t.kind === "windows") return `±${num(t.value)} window${t.value === 1 ? "" : "s"}`;
  return t.kind === "points" ? `±${num(t.value)} pt` : `±${num(t.value * 100)}%`;
}

function at(seconds: number | null): string {
  return seconds === null ? "never" : `${num(seconds)} s`;
}

/** One line per metric outside its tolerance: "P99: simulated 250 ms vs live 453 ms, error -44.8% (tolerance ±15%)". */
export function twinFailures(rows: readonly TwinRow[], isolation: readonly TwinIsolation[] = []): string[] {
  return [
    ...rows
      .filter((r) => !r.pass)
      .map(
        (r) =>
          `${r.label}: simulated ${num(r.simulated.mean)} ${r.unit} vs live ${num(r.live)} ${r.unit}, ` +
          `error ${formatError(r)} (tolerance ${formatTolerance(r.tolerance)})`,
      ),
    ...isolation
      .filter((i) => !i.pass)
      .map(
        (i) =>
          `${i.provider} isolated: simulated ${at(i.simulatedAt)} vs live ${at(i.liveAt)}` +
          `${i.differenceWindows === null ? "" : `, ${i.differenceWindows} windows apart`} (tolerance ${formatTolerance(i.tolerance)})`,
      ),
  ];
}

/**
 * The knee: the highest steady rate that met the objective (P99, error rate, and a backlog that does not
 * grow: workflows/capacity.ts, judge), simulated and checked live.
 */
export interface TwinKnee {
  objectiveP99Ms: number;
  simulatedRate: number;
  /** The live steps at and around the simulated knee. */
  live: { rate: number; p99Ms: number; errorRate: number; backlogGrowth?: number; ok: boolean }[];
  /** The highest live step that met the objective (0: none). */
  liveRate: number;
  /** (simulated - live) / live, null when no live step met it. */
  error: number | null;
}

export interface TwinReport {
  scenario: string;
  config: string;
  replications: number;
  /** The profile the simulated side ran with (path), or null for the typed-in costs. */
  calibration: string | null;
  /** Whether a backup stood behind the live primary (and so the simulated one); absent in older reports. */
  backup?: boolean;
  rows: TwinRow[];
  /** Providers either side isolated, and when (the health timelines compared). */
  isolation: TwinIsolation[];
  /** Delivered orders' stages on both sides (empty when either run has none). */
  stages: TwinStageRow[];
  knee?: TwinKnee;
}

/** The header's word on the deployment both sides ran (nothing for reports from before it was recorded). */
function backupText(rep: TwinReport): string {
  if (rep.backup === undefined) return "";
  return rep.backup
    ? " A backup server behind the primary on both sides: above the overflow threshold, orders go to it."
    : " No backup behind the live primary, so none behind the simulated one: neither overflows.";
}

export function twinMarkdown(rep: TwinReport): string {
  const lines = [
    `## simulated vs live: ${rep.scenario} (${rep.config})`,
    "",
    `Simulated: ${rep.replications} replication${rep.replications === 1 ? "" : "s"}, ` +
      `${rep.calibration === null ? "typed-in costs (no calibration profile)" : `calibration ${rep.calibration}`}. ` +
      `Live: ${liveRunsText(rep.rows)}.${backupText(rep)}`,
    "",
    `| metric | simulated [95% CI] | live${liveRunCount(rep.rows) > 1 ? " [95% CI]" : ""} | error | tolerance | verdict |`,
    "| --- | ---: | ---: | ---: | ---: | --- |",
    ...rep.rows.map(
      (r) =>
        `| ${r.label} | ${num(r.simulated.mean)} ${r.unit} [${num(r.simulated.lo)}, ${num(r.simulated.hi)}] | ` +
        `${liveCell(r)} | ${formatError(r)} | ${formatTolerance(r.tolerance)} | ${r.pass ? "ok" : "**outside**"} |`,
    ),
  ];
  if (rep.isolation.length > 0) {
    lines.push(
      "",
      "| provider first isolated | simulated | live | windows apart | tolerance | verdict |",
      "| --- | ---: | ---: | ---: | ---: | --- |",
      ...rep.isolation.map(
        (i) =>
          `| ${i.provider} | ${at(i.simulatedAt)} | ${at(i.liveAt)} | ${i.differenceWindows ?? "n/a"} | ` +
          `${formatTolerance(i.tolerance)} | ${i.pass ? "ok" : "**outside**"} |`,
      ),
    );
  }
  lines.push(...stagesMarkdown(rep.stages));
  if (rep.knee !== undefined) {
    const k = rep.knee;
    lines.push(
      "",
      `Saturation knee (P99 < ${num(k.objectiveP99Ms)} ms, backlog growing by at most ${MAX_BACKLOG_GROWTH * 100}% of the rate a second): simulated ${num(k.simulatedRate)}/s, ` +
        `live ${k.liveRate > 0 ? `${num(k.liveRate)}/s` : "no step met it"}` +
        `${k.error === null ? "" : `, error ${(k.error * 100).toFixed(1)}%`}.`,
      "",
      "| live step | P99 | error rate | backlog growth | meets objective |",
      "| ---: | ---: | ---: | ---: | --- |",
      ...k.live.map(
        (s) =>
          `| ${num(s.rate)}/s | ${num(s.p99Ms)} ms | ${(s.errorRate * 100).toFixed(2)}% | ` +
          `${formatBacklogGrowth(s.backlogGrowth)} | ${s.ok ? "yes" : "no"} |`,
      ),
    );
  }
  return `${lines.join("\n")}\n`;
}

/** The overlay charts (SVG): simulated and live on the report's own latency, throughput and CPU charts. */
export function twinCharts(sim: RunResult, live: RunResult): { id: string; svg: string }[] {
  const views = [
    { ...toRunView(sim), config: "simulated" },
    { ...toRunView(live), config: "live" },
  ];
  return [
    { id: "twin-latency", svg: latencyOverTimeChart(views) },
    { id: "twin-throughput", svg: throughputChart(views) },
    { id: "twin-cpu", svg: cpuChart(views) },
  ];
}

function isolationHtml(rows: readonly TwinIsolation[]): string {
  if (rows.length === 0) return "";
  const body = rows
    .map(
      (i) =>
        `<tr class="${i.pass ? "ok" : "bad"}"><td>${escapeHtml(i.provider)}</td><td>${at(i.simulatedAt)}</td>` +
        `<td>${at(i.liveAt)}</td><td>${i.differenceWindows ?? "n/a"}</td>` +
        `<td>${escapeHtml(formatTolerance(i.tolerance))}</td><td>${i.pass ? "ok" : "outside"}</td></tr>`,
    )
    .join("\n");
  return `<h3>When each side first isolated a provider</h3>
<table><tr><th>provider</th><th>simulated</th><th>live</th><th>windows apart</th><th>tolerance</th><th>verdict</th></tr>
${body}
</table>`;
}

/** A standalone page: the table and the charts inline. */
export function twinHtml(rep: TwinReport, charts: readonly { id: string; svg: string }[]): string {
  const rows = rep.rows
    .map(
      (r) =>
        `<tr class="${r.pass ? "ok" : "bad"}"><td>${escapeHtml(r.label)}</td>` +
        `<td>${num(r.simulated.mean)} ${r.unit} [${num(r.simulated.lo)}, ${num(r.simulated.hi)}]</td>` +
        `<td>${escapeHtml(liveCell(r))}</td><td>${escapeHtml(formatError(r))}</td>` +
        `<td>${escapeHtml(formatTolerance(r.tolerance))}</td><td>${r.pass ? "ok" : "outside"}</td></tr>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>simulated vs live: ${escapeHtml(rep.scenario)}</title>
<style>body{font-family:DejaVu Sans,Verdana,sans-serif;margin:2em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child{text-align:left}
tr.bad td{background:#fde2e2}</style></head><body>
<h2>simulated vs live: ${escapeHtml(rep.scenario)} (${escapeHtml(rep.config)})</h2>
<p>${rep.replications} simulated replication(s), ${rep.calibration === null ? "typed-in costs" : `calibration ${escapeHtml(rep.calibration)}`}; live: ${escapeHtml(liveRunsText(rep.rows))}.${escapeHtml(backupText(rep))}</p>
<table><tr><th>metric</th><th>simulated [95% CI]</th><th>live</th><th>error</th><th>tolerance</th><th>verdict</th></tr>
${rows}
</table>
${isolationHtml(rep.isolation)}
${stagesHtml(rep.stages)}
${charts.map((c) => `<figure id="${c.id}">${c.svg}</figure>`).join("\n")}
</body></html>
`;
}
