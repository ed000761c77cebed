// Where a delivered order's latency went, stage by stage, so that a simulated and a live run of one
// scenario can be compared inside the order and not only at its ends (issue 13: the twin says which
// stage it misses). Both sides read the same StageTimings the dispatch core reports with every order
// (SubmitOrder's `timings` live, the core's view in the simulator); what is left of the latency is
// "outside": accept, the ledger's terminal write, the reply and, live, the network and the client.
import { LatencyHistogram } from "./histogram.ts";

/** The stages, in the order a report lists them. */
export const STAGES = ["allocating", "issuing", "core", "outside"] as const;
export type Stage = (typeof STAGES)[number];

export const STAGE_LABELS: Record<Stage, string> = {
  allocating: "allocating (risk check, card claim)",
  issuing: "issuing (provider calls)",
  core: "in the core (accept to terminal)",
  outside: "outside the core (accept, ledger, reply, client)",
};

/** The core's timings of one order, as both sides have them (ms). */
export interface CoreTimings {
  allocatingMs: number;
  issuingMs: number;
  totalMs: number;
}

/** Records one delivered order's stages into `into` (created on first use). */
export function recordStages(into: Map<string, LatencyHistogram>, latencyMs: number, t: CoreTimings): void {
  add(into, "allocating", t.allocatingMs);
  add(into, "issuing", t.issuingMs);
  add(into, "core", t.totalMs);
  // Live, the client's and the server's clocks time the two spans: a hair below 0 is recorded as 0.
  add(into, "outside", latencyMs - t.totalMs);
}

function add(into: Map<string, LatencyHistogram>, stage: Stage, ms: number): void {
  let h = into.get(stage);
  if (h === undefined) {
    h = LatencyHistogram.create();
    into.set(stage, h);
  }
  h.record(ms);
}
