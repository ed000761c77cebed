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

export class IncidentLog {
  private readonly open = new Map<string, IncidentRecord>();
  readonly closed: IncidentRecord[] = [];
  private seq = 0;

  constructor(
    private readonly emit: (incident: IncidentRecord) => void,
    private readonly keep = 100,
    /** Ids of services (not providers) on the health board. */
    private readonly services: ReadonlySet<string> = new Set(),
  ) {}

  get openCount(): number {
    return this.open.size;
  }

  openIncidents(): IncidentRecord[] {
    return [...this.open.values()];
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
