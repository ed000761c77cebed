// The business rows of one simulated replication (results/business.ts): each terminal order by outcome per
// window, the core's incidents, and at the end the window and whole-run figures. replication.ts feeds it.
import {
  addTally,
  type BusinessPoint,
  type BusinessTally,
  businessPoint,
  incidentSpans,
  OutcomeCounter,
  type PerDayBasis,
  type ServiceObjective,
  unrecoveredByWindow,
  zeroTally,
} from "../results/business.ts";
import type { ClusterName, CoreEvent, OrderView } from "../server/core/types.ts";

/** Terminal states that are not deliveries (compared as text: the core may add states). */
const ENDED = new Set(["FAILED", "REJECTED", "DENIED", "REVIEW"]);

export interface SimBusinessRows {
  /** Per window, in order. */
  windows: BusinessTally[];
  total: BusinessTally;
  point: BusinessPoint;
}

export class SimBusiness {
  private readonly counter: OutcomeCounter;
  private readonly tallies: BusinessTally[] = [];
  private readonly incidents: { atMs: number; id: string }[] = [];
  /** On-time deliveries by the window their order was submitted in. */
  private readonly onTime: number[] = [];

  constructor(
    private readonly objective: ServiceObjective,
    private readonly windowMs: number,
  ) {
    this.counter = new OutcomeCounter(objective);
  }

  /** Every state change of an order; only terminal ones count. */
  /** An order's terminal view and its latency as its client saw it (the reply's CPU included). */
  observe(view: OrderView, latencyMs: number): void {
    if (view.state === "DELIVERED") {
      if (this.counter.delivered(latencyMs, view.tier)) {
        const w = Math.floor(view.submittedAt / this.windowMs);
        this.onTime[w] = (this.onTime[w] ?? 0) + 1;
      }
    } else if (ENDED.has(view.state)) {
      this.counter.ended(view.state, view.failureReason ?? view.rejectReason);
    }
  }

  /** A core event listener for one cluster (incidents are per cluster). */
  listener(cluster: ClusterName): (e: CoreEvent) => void {
    return (e) => {
      if (e.kind === "incident") this.incidents.push({ atMs: e.at, id: `${cluster}/${e.incident.id}` });
    };
  }

  closeWindow(): void {
    this.tallies.push(this.counter.takeWindow());
  }

  /**
   * The rows once the run is over: on-time deliveries go to their submission window, unrecovered incidents to
   * the window their allowance ran out in, orders still unfinished to the last window, so the windows add up
   * to the whole run.
   */
  finish(run: { endMs: number; trafficMs: number; submitted: number; unfinished: number }, day: PerDayBasis) {
    const windows = this.tallies;
    const late = unrecoveredByWindow(
      incidentSpans(this.incidents),
      this.objective.incidentRecoveryMs,
      this.windowMs,
      run.endMs,
    );
    late.forEach((n, i) => {
      const w = windows[i];
      if (w) w.unrecoveredIncidents += n;
    });
    const last = windows[windows.length - 1];
    if (last) last.unfinished += run.unfinished;
    let goodputPeak = 0;
    windows.forEach((w, i) => {
      w.onTime = this.onTime[i] ?? 0;
      const lengthMs = Math.min(this.windowMs, run.endMs - i * this.windowMs);
      goodputPeak = Math.max(goodputPeak, w.onTime / (lengthMs / 1000));
    });
    const total = windows.reduce((acc, w) => addTally(acc, w), zeroTally());
    const point = businessPoint(
      total,
      {
        goodputPeak,
        trafficSeconds: run.trafficMs / 1000,
        submitted: run.submitted,
      },
      day,
    );
    return { windows, total, point } satisfies SimBusinessRows;
  }
}
