// summary.json: the numbers of the report for machines (dashboards, bots), one entry per scenario.
import type { ScenarioGroup } from "./load-runs.ts";

export const SUMMARY_VERSION = 1;

export function summaryJson(groups: readonly ScenarioGroup[]): unknown {
  return {
    summaryVersion: SUMMARY_VERSION,
    scenarios: groups.map((g) => ({
      scenario: g.scenario,
      kind: g.kind,
      runs: g.runs.map((r) => ({
        config: r.config,
        role: r.role,
        replications: r.replications.length,
        counters: r.counters,
        thresholds: r.thresholds,
      })),
      ...(g.comparison
        ? {
            comparison: {
              baseline: g.comparison.baseline,
              candidate: g.comparison.candidate,
              verdict: g.comparison.verdict,
              headline: g.comparison.headline.key,
              rows: g.comparison.rows.map((row) => ({
                metric: row.key,
                label: row.label,
                unit: row.unit,
                direction: row.direction,
                before: row.before,
                after: row.after,
                change: row.estimate.relative,
                changeCi95: row.estimate.relativeCi ?? null,
                method: row.estimate.method,
                verdict: row.verdict,
              })),
              rankTest: g.comparison.rank
                ? {
                    p: g.comparison.rank.p,
                    probabilityCandidateSlower: g.comparison.rank.probabilityOfSuperiority,
                    cliffsDelta: g.comparison.rank.cliffsDelta,
                    n: g.comparison.rank.n,
                  }
                : null,
            },
          }
        : {}),
    })),
  };
}
