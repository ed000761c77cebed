// The scenario's `live` block: settings only the live driver reads. The schema keeps it loose (the
// driver owns it), so it is validated here, every error with its path.

import { checkDuration, parseDuration } from "../traffic/duration.ts";
import { type ChaosStep, validateChaos } from "./chaos.ts";
import { checkInt, checkNumber } from "./checks.ts";
import { type TopologySpec, validateTopology } from "./topology.ts";

export interface LiveOptions {
  /** Total card stock, shared out by SKU popularity (default: what the run will order, plus 10%). */
  cardStock?: number;
  /** Default --duration-scale. */
  durationScale?: number;
  /** In-flight bound for arrival-rate executors (k6 maxVUs); default 5 s of backlog at the peak rate. */
  maxVUs?: number;
  preAllocatedVUs?: number;
  /** gRPC deadline per order from its intended start (default 30 s). */
  requestTimeout?: number | string;
  /** Threshold metrics (or "metric:expression") whose failure stops the run early, or true for all. */
  abortOnFail?: boolean | string[];
  /** No early abort before this much of the run has passed (k6 delayAbortEval); default 10 s. */
  delayAbortEval?: number | string;
  /** Worker threads (0 = the main thread); default from the peak rate. */
  workers?: number;
  /** Several instances on one PostgreSQL database, provider farm apart (load/topology.ts). */
  topology?: TopologySpec;
  /** Process kills and database pauses during the run (load/chaos.ts); needs a topology. */
  chaos?: ChaosStep[];
}

export function validateLive(live: unknown): string[] {
  if (live === undefined) return [];
  const errors: string[] = [];
  const l = live as Record<string, unknown>;
  if (l.cardStock !== undefined) checkInt(errors, "live.cardStock", l.cardStock, 0);
  if (l.durationScale !== undefined) checkNumber(errors, "live.durationScale", l.durationScale, 0);
  if (l.maxVUs !== undefined) checkInt(errors, "live.maxVUs", l.maxVUs, 1);
  if (l.preAllocatedVUs !== undefined) checkInt(errors, "live.preAllocatedVUs", l.preAllocatedVUs, 1);
  if (l.requestTimeout !== undefined) checkDuration(errors, "live.requestTimeout", l.requestTimeout);
  if (l.delayAbortEval !== undefined) {
    checkDuration(errors, "live.delayAbortEval", l.delayAbortEval, { positive: false });
  }
  if (l.workers !== undefined) checkInt(errors, "live.workers", l.workers, 0, 64);
  const topologyErrors = validateTopology(l.topology);
  errors.push(...topologyErrors);
  // Chaos targets are checked against the instances only of a valid topology (not a count of 1e9).
  const instances = (l.topology as { instances?: unknown } | undefined)?.instances;
  const known = topologyErrors.length === 0 && typeof instances === "number" ? instances : undefined;
  errors.push(...validateChaos(l.chaos, known));
  if (l.chaos !== undefined && l.topology === undefined) {
    errors.push("live.chaos: needs live.topology (the processes to act on)");
  }
  const a = l.abortOnFail;
  if (
    a !== undefined &&
    typeof a !== "boolean" &&
    !(Array.isArray(a) && a.every((x) => typeof x === "string"))
  ) {
    errors.push(
      'live.abortOnFail: must be true, false or a list of metric names (e.g. ["latency", "errors"])',
    );
  }
  return errors;
}

export function liveOptions(live: unknown): LiveOptions {
  return (live ?? {}) as LiveOptions;
}

export function requestTimeoutMs(live: LiveOptions): number {
  return live.requestTimeout === undefined ? 30_000 : parseDuration(live.requestTimeout);
}

/** Whether a failing threshold on `metric` (expression `expr`) aborts the run. */
export function abortsOn(live: LiveOptions, metric: string, expr: string): boolean {
  const a = live.abortOnFail;
  if (a === undefined || a === false) return false;
  if (a === true) return true;
  return a.includes(metric) || a.includes(`${metric}:${expr}`);
}
