// The write-up's business rows, counted one way for simulated and live runs: goodput (orders delivered within
// the scenario's latency objective), manual interventions (orders and incidents that need a person) and
// complaint-risk orders (orders a customer is likely to complain about), per window and per day.
// Definitions (scenarios/README.md, "Objectives" says the same for scenario authors):
// - goodput: orders delivered within objective.latency, counted in the window they were SUBMITTED in, so a
//   window's goodput never exceeds its offered load (a backlog drained at once after a fault is late, not
//   capacity: counted by delivery window it would read as a burst of "throughput");
// - manual interventions: FAILED orders (failed after the last attempt), orders held for risk review (terminal
//   state REVIEW), cards stranded (the live store audit: failed orders holding a card, orders never finished),
//   and provider incidents still open `incidentRecovery` after they opened;
// - complaint risk: FAILED, REJECTED, DENIED because the risk service erred (not a risk verdict), unfinished
//   after the drain, or delivered slower than the tier's patience.
// State strings are compared as text so this file does not depend on which states the core has.

/** What counts as good service (the scenario's `objective` block, in ms). */
export interface ServiceObjective {
  latencyMs: number;
  patienceMs: { standard: number; vip: number };
  incidentRecoveryMs: number;
}

/** The defaults of the scenario schema's `objective` block. */
export const DEFAULT_OBJECTIVE: ServiceObjective = {
  latencyMs: 2000,
  patienceMs: { standard: 30_000, vip: 10_000 },
  incidentRecoveryMs: 300_000,
};

/** Orders by business outcome; every field is a count. */
export interface BusinessTally {
  /** Submitted in this window (or run) and delivered within the latency objective. */
  onTime: number;
  /** Delivered slower than the tier's patience. */
  late: number;
  failed: number;
  rejected: number;
  /** Held for risk review (state REVIEW). */
  review: number;
  /** DENIED with a reason that names an error, timeout or unavailable risk service. */
  deniedByError: number;
  /** Not terminal when the run ended (or, live, answered before terminal / cancelled at the end). */
  unfinished: number;
  /** Provider incidents still open `incidentRecovery` after they opened. */
  unrecoveredIncidents: number;
  /** Live topology runs: cards the store audit found stranded. */
  strandedCards: number;
}

const TALLY_KEYS: readonly (keyof BusinessTally)[] = [
  "onTime",
  "late",
  "failed",
  "rejected",
  "review",
  "deniedByError",
  "unfinished",
  "unrecoveredIncidents",
  "strandedCards",
];

export function zeroTally(): BusinessTally {
  return Object.fromEntries(TALLY_KEYS.map((k) => [k, 0])) as unknown as BusinessTally;
}

export function addTally(into: BusinessTally, from: BusinessTally): BusinessTally {
  for (const k of TALLY_KEYS) into[k] += from[k];
  return into;
}

/**
 * Orders that need a person: failed after the last attempt, held for risk review, still unfinished when the
 * drain ended (stuck: the write-up's old system re-pushed those by hand), cards stranded, and incidents that
 * did not recover on their own in time.
 */
export function interventionsOf(t: BusinessTally): number {
  return t.failed + t.review + t.unfinished + t.strandedCards + t.unrecoveredIncidents;
}

export function complaintRiskOf(t: BusinessTally): number {
  return t.failed + t.rejected + t.deniedByError + t.unfinished + t.late;
}

/** A DENIED reason that blames the risk service's failure rather than the order (a fail-closed policy). */
const ERROR_DENIAL = /error|timeout|timed out|unavailable|fail[- ]?closed|isolated/i;

/** Whether an order denied with this reason was denied by error (a complaint risk) rather than by verdict. */
export function isErrorDenial(reason: string | null | undefined): boolean {
  return reason != null && ERROR_DENIAL.test(reason);
}

/**
 * Counts terminal orders by business outcome, per window and for the whole run. The simulator feeds it every
 * terminal order; `takeWindow` closes a window. On-time deliveries are counted by the caller, which knows the
 * window each order was submitted in (`delivered` says whether it was on time).
 */
export class OutcomeCounter {
  readonly total = zeroTally();
  private win = zeroTally();

  constructor(readonly objective: ServiceObjective) {}

  /** Counts a late delivery; returns whether the delivery was within the latency objective. */
  delivered(latencyMs: number, tier: string): boolean {
    const patience = tier === "vip" ? this.objective.patienceMs.vip : this.objective.patienceMs.standard;
    if (latencyMs > patience) this.bump("late");
    return latencyMs <= this.objective.latencyMs;
  }

  /** A terminal order that was not delivered; `reason` is the order's failure or reject reason. */
  ended(state: string, reason: string | null): void {
    if (state === "FAILED") this.bump("failed");
    else if (state === "REJECTED") this.bump("rejected");
    else if (state === "REVIEW") this.bump("review");
    else if (state === "DENIED" && isErrorDenial(reason)) this.bump("deniedByError");
  }

  add(key: keyof BusinessTally, n: number): void {
    this.win[key] += n;
    this.total[key] += n;
  }

  takeWindow(): BusinessTally {
    const w = this.win;
    this.win = zeroTally();
    return w;
  }

  private bump(key: keyof BusinessTally): void {
    this.add(key, 1);
  }
}

/** One provider incident: opened and (if it did) closed, ms from the run's start. */
export interface IncidentSpan {
  openedMs: number;
  closedMs: number | null;
}

/**
 * Unrecovered incidents per window: an incident open `recoveryMs` after it opened counts once, in the window in
 * which that deadline fell (so the windows add up to the run); a deadline after the run's end is not counted
 * (the run cannot tell whether it would have recovered).
 */
export function unrecoveredByWindow(
  incidents: readonly IncidentSpan[],
  recoveryMs: number,
  windowMs: number,
  endMs: number,
): number[] {
  const out = new Array<number>(Math.max(0, Math.ceil(endMs / windowMs))).fill(0);
  for (const i of incidents) {
    const deadline = i.openedMs + recoveryMs;
    if (deadline >= endMs) continue;
    if (i.closedMs !== null && i.closedMs <= deadline) continue;
    const w = Math.min(out.length - 1, Math.floor(deadline / windowMs));
    out[w]! += 1;
  }
  return out;
}

/**
 * Incident spans from incident events (the core emits one when an incident opens and one when it closes;
 * both carry the same id): the first event of an id opens it, the next closes it.
 */
export function incidentSpans(events: ReadonlyArray<{ atMs: number; id: string }>): IncidentSpan[] {
  const open = new Map<string, IncidentSpan>();
  const out: IncidentSpan[] = [];
  for (const e of [...events].sort((a, b) => a.atMs - b.atMs)) {
    const span = open.get(e.id);
    if (span === undefined) {
      const s = { openedMs: e.atMs, closedMs: null };
      open.set(e.id, s);
      out.push(s);
    } else if (span.closedMs === null) {
      span.closedMs = e.atMs;
    }
  }
  return out;
}

/** How a run's counts become per-day figures (recorded in the RunResult's `business` block). */
export interface PerDayBasis {
  /** Orders a day at the scenario's traffic. */
  ordersPerDay: number;
  /** How ordersPerDay was obtained, one line. */
  basis: string;
}

/** A count scaled to a day: its share of the run's submitted orders times the orders a day. */
export function perDay(count: number, submitted: number, ordersPerDay: number): number {
  return submitted === 0 ? 0 : (count * ordersPerDay) / submitted;
}

/** The business rows of one replication's point summary. */
export interface BusinessPoint {
  goodputPeak: number;
  goodputMean: number;
  interventions: number;
  complaintRisk: number;
  interventionsPerDay: number;
  complaintRiskPerDay: number;
}

/**
 * A run's business point values: goodput in its busiest window (`goodputPeak`, orders/s) and over the
 * traffic, the two counts and their per-day figures.
 */
export function businessPoint(
  total: BusinessTally,
  run: { goodputPeak: number; trafficSeconds: number; submitted: number },
  day: PerDayBasis,
): BusinessPoint {
  const r = (x: number) => Math.round(x * 1e4) / 1e4;
  const interventions = interventionsOf(total);
  const complaintRisk = complaintRiskOf(total);
  return {
    goodputPeak: r(run.goodputPeak),
    goodputMean: run.trafficSeconds > 0 ? r(total.onTime / run.trafficSeconds) : 0,
    interventions,
    complaintRisk,
    interventionsPerDay: r(perDay(interventions, run.submitted, day.ordersPerDay)),
    complaintRiskPerDay: r(perDay(complaintRisk, run.submitted, day.ordersPerDay)),
  };
}

/** The business counters a RunResult records (beside failed, rejected and unfinished, which it has already). */
export function businessCounters(t: BusinessTally) {
  return {
    onTime: t.onTime,
    late: t.late,
    review: t.review,
    deniedByError: t.deniedByError,
    unrecoveredIncidents: t.unrecoveredIncidents,
    strandedCards: t.strandedCards,
    interventions: interventionsOf(t),
    complaintRisk: complaintRiskOf(t),
  };
}

/** A window's business fields (RunWindow.onTime, .interventions, .complaintRisk). */
export function businessWindow(t: BusinessTally): {
  onTime: number;
  interventions: number;
  complaintRisk: number;
} {
  return { onTime: t.onTime, interventions: interventionsOf(t), complaintRisk: complaintRiskOf(t) };
}
