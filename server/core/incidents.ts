// Incidents: one record per provider isolation episode. Opened when a provider is ISOLATED (if none
// is open for it), it collects a timeline of failures and transitions (bounded), counts orders
// diverted (dispatched to other providers while it was out) and orders retried after failing on
// it, and closes with an outcome when the provider is HEALTHY again. "incident" events go out on
// open and on close. Only the last `keep` closed incidents are remembered.
//
// An incident of a service (the risk service) counts as "diverted" the orders its stage's
// unavailable-policy decided while it was out, not the orders that went to providers.
import type { HealthEvent, ProviderHealth } from "./health.ts";
import type { IncidentRecord } from "./types.ts";

const MAX_TIMELINE = 200;

// Two more kinds of incident (IncidentRecord.kind; absent means a provider's isolation), one record
// per episode each, fed by the dispatcher's periodic timer (onTick):
// - retry-budget: opened when the compensation queue's retry budget refuses a retry (the order
//   fails at once, server/core/compensation.ts); every refused order's failure goes on the timeline;
//   it closes once the budget has room for a retry again and none was refused for BUDGET_QUIET_MS,
//   so a storm that keeps the budget at its edge is one episode, not one incident per retry.
// - overflow-flapping: opened when the overflow route (server/core/router.ts) switched more than
//   FLAP_SWITCHES times within the flapping window (12 x routing.minDwellMs, at least 1 s: a
//   working hysteresis switches twice per surge, on and off, and never sooner than minDwellMs); it
//   closes when a whole window passed without a switch.

/** A retry-budget incident closes after this long without a refused retry (and room for one). */
export const BUDGET_QUIET_MS = 2000;
/** More switches than this within the flapping window is flapping. */
export const FLAP_SWITCHES = 4;

/** The flapping window for a minimum dwell time between switches. */
export function flapWindowMs(minDwellMs: number): number {
  return Math.max(1000, 12 * minDwellMs);
}

/** What the dispatcher's periodic timer tells the log (the hook for the retry-budget and flapping incidents). */
export interface IncidentTick {
  now: number;
  /** The route switched on this tick. */
  switched: boolean;
  overflowActive: boolean;
  primaryLoad: number;
  minDwellMs: number;
  /** The retry budget would let one more retry in now. */
  budgetHasRoom: boolean;
}

export class IncidentLog {
  private readonly open = new Map<string, IncidentRecord>();
  readonly closed: IncidentRecord[] = [];
  private seq = 0;
  private budget: { incident: IncidentRecord; refused: number; lastRefusedAt: number } | null = null;
  private flapping: IncidentRecord | null = null;
  /** Times of recent route switches (within the flapping window). */
  private switchTimes: number[] = [];

  constructor(
    private readonly emit: (incident: IncidentRecord) => void,
    private readonly keep = 100,
    /** Ids of services (not providers) on the health board. */
    private readonly services: ReadonlySet<string> = new Set(),
  ) {}

  get openCount(): number {
    return this.open.size + (this.budget === null ? 0 : 1) + (this.flapping === null ? 0 : 1);
  }

  openIncidents(): IncidentRecord[] {
    const others = [this.budget?.incident, this.flapping ?? undefined].filter((i) => i !== undefined);
    return [...this.open.values(), ...others];
  }

  /** An open incident that only the periodic timer can close: the timer must keep running. */
  get awaitingTick(): boolean {
    return this.budget !== null || this.flapping !== null;
  }

  /** The retry budget refused a retry: the order failed with `reason`. */
  noteRetryRefused(at: number, orderId: string, reason: string, active: number, allowance: number): void {
    if (this.budget === null) {
      const incident = this.newIncident("retry-budget", "retry-budget", at);
      this.note(
        incident,
        at,
        `retry refused to order ${orderId}: ${active} retries active, budget allows ${
          Math.round(allowance * 10) / 10
        }`,
      );
      this.note(incident, at, `failure: ${reason}`);
      this.budget = { incident, refused: 1, lastRefusedAt: at };
      this.emit(structuredCopy(incident));
      return;
    }
    this.budget.refused++;
    this.budget.lastRefusedAt = at;
    this.note(this.budget.incident, at, `failure: ${reason}`);
  }

  /** The dispatcher's periodic timer: route switches, and closing what has calmed down. */
  onTick(tick: IncidentTick): void {
    const { now } = tick;
    const window = flapWindowMs(tick.minDwellMs);
    if (tick.switched) {
      this.switchTimes.push(now);
      const what = `overflow ${tick.overflowActive ? "ON" : "OFF"} at primary load ${tick.primaryLoad.toFixed(2)}`;
      if (this.flapping !== null) this.note(this.flapping, now, what);
    }
    while (this.switchTimes.length > 0 && this.switchTimes[0]! <= now - window) this.switchTimes.shift();
    if (this.flapping === null && this.switchTimes.length > FLAP_SWITCHES) {
      const incident = this.newIncident("overflow-flapping", "overflow-route", now);
      this.note(
        incident,
        now,
        `${this.switchTimes.length} route switches within ${window} ms (more than ${FLAP_SWITCHES}): ` +
          "the primary's load hovers between the watermarks",
      );
      this.flapping = incident;
      this.emit(structuredCopy(incident));
    } else if (this.flapping !== null && this.switchTimes.length === 0) {
      const switches = this.flapping.timeline.filter((t) => t.what.startsWith("overflow ")).length;
      this.close(this.flapping, now, `route stable for ${window} ms after ${switches} more switches`);
      this.flapping = null;
    }
    if (this.budget !== null && tick.budgetHasRoom && now - this.budget.lastRefusedAt >= BUDGET_QUIET_MS) {
      const refused = this.budget.refused;
      this.note(this.budget.incident, now, "retry budget has room again");
      this.close(
        this.budget.incident,
        now,
        `retries allowed again after ${Math.round(now - this.budget.incident.openedAt)} ms (${refused} order${
          refused === 1 ? "" : "s"
        } failed for want of a retry)`,
      );
      this.budget = null;
    }
  }

  private newIncident(
    kind: "retry-budget" | "overflow-flapping",
    subject: string,
    at: number,
  ): IncidentRecord {
    return {
      id: `incident-${++this.seq}-${subject}`,
      kind,
      providerId: subject,
      openedAt: at,
      closedAt: null,
      ordersDiverted: 0,
      ordersRetried: 0,
      timeline: [],
      outcome: null,
    };
  }

  private close(incident: IncidentRecord, at: number, outcome: string): void {
    incident.closedAt = at;
    incident.outcome = outcome;
    this.closed.push(incident);
    if (this.closed.length > this.keep) this.closed.shift();
    this.emit(structuredCopy(incident));
  }

  private note(incident: IncidentRecord, at: number, what: string): void {
    if (incident.timeline.length < MAX_TIMELINE) incident.timeline.push({ at, what });
    else if (incident.timeline.length === MAX_TIMELINE)
      incident.timeline.push({ at, what: "timeline truncated" });
  }

  onTransition(event: HealthEvent): void {
    let incident = this.open.get(event.providerId);
    if (incident === undefined && event.to === "ISOLATED") {
      incident = {
        id: `incident-${++this.seq}-${event.providerId}`,
        providerId: event.providerId,
        openedAt: event.at,
        closedAt: null,
        ordersDiverted: 0,
        ordersRetried: 0,
        timeline: [],
        outcome: null,
      };
      this.open.set(event.providerId, incident);
      this.note(incident, event.at, `${event.from} -> ${event.to}: ${event.reason}`);
      this.emit(structuredCopy(incident));
      return;
    }
    if (incident === undefined) return;
    this.note(incident, event.at, `${event.from} -> ${event.to}: ${event.reason}`);
    if (event.to === "HEALTHY") {
      incident.closedAt = event.at;
      const isolations = incident.timeline.filter((t) => t.what.includes("-> ISOLATED")).length;
      incident.outcome = `recovered after ${event.at - incident.openedAt} ms (${isolations} isolation${
        isolations === 1 ? "" : "s"
      }, ${incident.ordersDiverted} orders diverted, ${incident.ordersRetried} retried)`;
      this.open.delete(event.providerId);
      this.closed.push(incident);
      if (this.closed.length > this.keep) this.closed.shift();
      this.emit(structuredCopy(incident));
    }
  }

  noteFailure(providerId: string, at: number, detail: string): void {
    const incident = this.open.get(providerId);
    if (incident !== undefined) this.note(incident, at, `failure: ${detail}`);
  }

  /** An order went to `chosen` while other providers were out: each open incident counts it as diverted. */
  noteDispatch(chosen: string, _providers: readonly ProviderHealth[]): void {
    if (this.open.size === 0) return;
    for (const [providerId, incident] of this.open)
      if (providerId !== chosen && !this.services.has(providerId)) incident.ordersDiverted++;
  }

  /** An order went around `id` (a service's fallback policy decided it): its open incident counts it. */
  noteDiverted(id: string): void {
    const incident = this.open.get(id);
    if (incident !== undefined) incident.ordersDiverted++;
  }

  noteRetry(providerId: string): void {
    const incident = this.open.get(providerId);
    if (incident !== undefined) incident.ordersRetried++;
  }
}

function structuredCopy(incident: IncidentRecord): IncidentRecord {
  return { ...incident, timeline: incident.timeline.map((t) => ({ ...t })) };
}
