// The CI gate: candidate runs against baseline runs, one check per scenario for P99 regression and one for
// goodput regression (the headline throughput, reports/compare.ts), one per absolute threshold, one for
// duplicate cards. A check fails with one line saying why.
import { compareRuns, formatPercent, formatValue, type MetricRow } from "./compare.ts";
import type { RunView } from "./model.ts";

export interface GateOptions {
  /** Allowed P99 regression as a fraction (0.05 = 5%). */
  maxP99Regression: number;
  /** Allowed fall of peak goodput as a fraction (0.05 = 5%); default 5%. */
  maxGoodputRegression?: number;
}

/** The default allowance of both regression checks. */
export const DEFAULT_REGRESSION_ALLOWANCE = 0.05;

export interface GateCheck {
  /** Groups checks in JUnit: the scenario. */
  suite: string;
  name: string;
  ok: boolean;
  /** One line; for a failure, why it failed. */
  message: string;
}

export interface GateResult {
  ok: boolean;
  checks: GateCheck[];
  failures: string[];
  /** How the runs were paired (pairRuns), for views of the result (reports/ci-formats.ts). */
  paired: ReturnType<typeof pairRuns>;
}

export interface RunPair {
  baseline: RunView;
  candidate: RunView;
}

const keyOf = (r: RunView) => `${r.scenario}\u0000${r.kind}`;

/**
 * Pairs candidate runs with baseline runs: same scenario, kind and configuration; else the only baseline of
 * that scenario and kind; a single file on each side is always a pair. Unpaired runs are reported, not dropped.
 */
export function pairRuns(
  baselines: readonly RunView[],
  candidates: readonly RunView[],
): { pairs: RunPair[]; unpairedBaselines: RunView[]; unpairedCandidates: RunView[] } {
  if (baselines.length === 1 && candidates.length === 1) {
    return {
      pairs: [{ baseline: baselines[0]!, candidate: candidates[0]! }],
      unpairedBaselines: [],
      unpairedCandidates: [],
    };
  }
  const used = new Set<RunView>();
  const pairs: RunPair[] = [];
  const unpairedCandidates: RunView[] = [];
  for (const c of candidates) {
    const same = baselines.filter((b) => !used.has(b) && keyOf(b) === keyOf(c));
    const match = same.find((b) => b.config === c.config) ?? (same.length === 1 ? same[0] : undefined);
    if (match) {
      used.add(match);
      pairs.push({ baseline: match, candidate: c });
    } else {
      unpairedCandidates.push(c);
    }
  }
  return { pairs, unpairedBaselines: baselines.filter((b) => !used.has(b)), unpairedCandidates };
}

export function gate(
  baselines: readonly RunView[],
  candidates: readonly RunView[],
  opts: GateOptions,
): GateResult {
  const paired = pairRuns(baselines, candidates);
  const { pairs, unpairedBaselines, unpairedCandidates } = paired;
  const checks: GateCheck[] = [];
  for (const { baseline, candidate } of pairs) checks.push(...checkPair(baseline, candidate, opts));
  for (const b of unpairedBaselines) {
    checks.push({
      suite: b.scenario,
      name: `present (${b.config})`,
      ok: false,
      message: `${b.label}: in the baseline but missing from the candidate runs`,
    });
  }
  for (const c of unpairedCandidates) {
    checks.push({
      suite: c.scenario,
      name: `has baseline (${c.config})`,
      ok: false,
      message: `${c.label}: no baseline to compare with (accept one on purpose to start gating it)`,
    });
  }
  const failures = checks.filter((c) => !c.ok).map((c) => c.message);
  return { ok: failures.length === 0, checks, failures, paired };
}

/**
 * A regression check of one row: regressed only when the change is significant AND the whole interval is
 * beyond the allowance in the row's bad direction (criterion's rule), so run-to-run noise inside the allowance
 * never fails a build; with no interval, the point decides.
 */
function regression(
  scenario: string,
  what: string,
  row: MetricRow,
  allowance: number,
): { ok: boolean; message: string } {
  const rel = row.estimate.relative;
  const ci = row.estimate.relativeCi;
  const higherBetter = row.direction === "higher-is-better";
  const regressed = higherBetter ? (ci ? ci.hi : rel) < -allowance : (ci ? ci.lo : rel) > allowance;
  const span = ci ? ` [95% CI ${formatPercent(ci.lo)}, ${formatPercent(ci.hi)}]` : " (no interval)";
  const values = `${formatValue(row.before, row.unit)} -> ${formatValue(row.after, row.unit)}`;
  const allowed = formatPercent(higherBetter ? -allowance : allowance);
  return {
    ok: !regressed,
    message: regressed
      ? `${scenario}: ${what} regressed ${formatPercent(rel)}${span} (${values}), beyond the allowed ${allowed}`
      : `${scenario}: ${what} ${formatPercent(rel)}${span} (${values}) within the allowed ${allowed}`,
  };
}

export function checkPair(baseline: RunView, candidate: RunView, opts: GateOptions): GateCheck[] {
  const checks: GateCheck[] = [];
  const cmp = compareRuns(baseline, candidate);
  const pair = `${baseline.config} -> ${candidate.config}`;
  checks.push({
    suite: candidate.scenario,
    name: `p99 regression (${pair})`,
    ...regression(candidate.scenario, "P99", cmp.p99, opts.maxP99Regression),
  });
  const goodputAllowance = opts.maxGoodputRegression ?? DEFAULT_REGRESSION_ALLOWANCE;
  checks.push({
    suite: candidate.scenario,
    name: `goodput regression (${pair})`,
    ...(cmp.headline.key === "goodputPeak"
      ? regression(candidate.scenario, "peak goodput", cmp.headline, goodputAllowance)
      : {
          ok: true,
          message: `${candidate.scenario}: goodput not judged: a run predates goodput (re-run or re-accept it)`,
        }),
  });
  for (const t of candidate.thresholds) {
    checks.push({
      suite: candidate.scenario,
      name: `threshold ${t.metric} ${t.expression} (${candidate.config})`,
      ok: t.ok,
      message: `${candidate.label}: threshold ${t.metric} ${t.expression} ${t.ok ? "passed" : "failed"} (observed ${
        t.actual === undefined ? "n/a" : Number(t.actual.toPrecision(6))
      })`,
    });
  }
  if (candidate.audit) {
    checks.push({
      suite: candidate.scenario,
      name: `store audit (${candidate.config})`,
      ok: candidate.audit.pass,
      message: `${candidate.label}: store audit ${candidate.audit.pass ? "passed" : "failed"} (${candidate.audit.summary})`,
    });
  }
  const dup = candidate.counters.duplicateCards ?? 0;
  checks.push({
    suite: candidate.scenario,
    name: `no duplicate cards (${candidate.config})`,
    ok: dup === 0,
    message: `${candidate.label}: ${dup} duplicate card${dup === 1 ? "" : "s"} (must be 0)`,
  });
  return checks;
}
