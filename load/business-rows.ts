// The business rows of a live run (results/business.ts), from what the driver measured: each window's counts and
// latency histogram, the whole-run histograms by tier, the server's incident events and the store audit.
// What the driver cannot see exactly, and how it is approximated:
// - on-time deliveries are counted by submission window (as in the simulator) from each delivery window's
//   histogram: a delivery of latency L in the window starting at t is placed at t + window/2 - L, so to within
//   a window;
// - a window's late deliveries use the standard tier's patience (window histograms do not split by tier); the
//   whole run's use each tier's own (the by-cohort histograms), so the windows' sum can differ from the total;
// - REVIEW answers are interventions; DENIED ones are neither (the driver does not see why the risk service
//   said no, so a denial caused by the service's error is not told apart live);
// - stranded cards come from the audit after the run and are counted in the last window.
import {
  type BusinessPoint,
  type BusinessTally,
  businessPoint,
  incidentSpans,
  type PerDayBasis,
  type ServiceObjective,
  unrecoveredByWindow,
  zeroTally,
} from "../results/business.ts";
import type { LatencyHistogram } from "../results/histogram.ts";
import type { RunEvent, StoreAuditResult } from "../results/run-result.ts";
import type { Counts } from "./window-stats.ts";

export interface LiveBusinessInput {
  objective: ServiceObjective;
  windowMs: number;
  /** The driver's windows, in order: counts and the latency of deliveries completed in each. */
  windows: ReadonlyArray<{ counts: Counts; histogram: LatencyHistogram }>;
  /** Whole-run latency by cohort ("vip", "standard"). */
  cohorts: ReadonlyMap<string, LatencyHistogram>;
  /** Whole-run counts. */
  counts: Counts;
  /** The run's events (the server's incident events among them), seconds from the start. */
  events: readonly RunEvent[];
  audit?: StoreAuditResult | undefined;
  /** Seconds the traffic ran (goodput's mean is over it). */
  trafficSeconds: number;
  day: PerDayBasis;
}

export function liveBusiness(o: LiveBusinessInput): {
  windows: BusinessTally[];
  total: BusinessTally;
  point: BusinessPoint;
} {
  const { objective, windowMs } = o;
  const n = o.windows.length;
  const endMs = n * windowMs;
  const windows = o.windows.map((w) => {
    const t = zeroTally();
    t.failed = w.counts.failed;
    t.rejected = w.counts.rejected;
    t.unfinished = w.counts.unfinished + w.counts.interrupted;
    t.review = w.counts.review;
    t.late = w.histogram.countAbove(objective.patienceMs.standard);
    return t;
  });
  o.windows.forEach((w, i) => {
    const mid = i * windowMs + windowMs / 2;
    w.histogram.forEachValue((ms, count) => {
      if (ms > objective.latencyMs) return;
      const at = Math.min(n - 1, Math.max(0, Math.floor((mid - ms) / windowMs)));
      windows[at]!.onTime += count;
    });
  });
  const incidents = incidentSpans(
    o.events
      .filter((e) => e.kind === "incident")
      .map((e) => ({ atMs: e.t * 1000, id: String(e.data?.incidentId ?? e.data?.id ?? e.providerId) })),
  );
  unrecoveredByWindow(incidents, objective.incidentRecoveryMs, windowMs, endMs).forEach((k, i) => {
    if (windows[i]) windows[i].unrecoveredIncidents += k;
  });
  const last = windows[n - 1];
  // Orders the ledger still holds unfinished are the driver's unfinished ones (counted there), not cards.
  if (last && o.audit) last.strandedCards += o.audit.failedHoldingCards;

  const total = zeroTally();
  for (const w of windows) {
    total.onTime += w.onTime;
    total.unrecoveredIncidents += w.unrecoveredIncidents;
    total.strandedCards += w.strandedCards;
  }
  total.failed = o.counts.failed;
  total.rejected = o.counts.rejected;
  total.unfinished = o.counts.unfinished + o.counts.interrupted;
  total.review = o.counts.review;
  total.late =
    (o.cohorts.get("standard")?.countAbove(objective.patienceMs.standard) ?? 0) +
    (o.cohorts.get("vip")?.countAbove(objective.patienceMs.vip) ?? 0);
  const goodputPeak = Math.max(0, ...windows.map((w) => w.onTime / (windowMs / 1000)));
  const point = businessPoint(
    total,
    { goodputPeak, trafficSeconds: o.trafficSeconds, submitted: o.counts.started },
    o.day,
  );
  return { windows, total, point };
}
