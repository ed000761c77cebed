// The scenario's `live` block: settings only the live driver reads (load/), with the topology and chaos
// specs. The zod schema keeps the block loose; it is validated here, every error with its path, with no
// dependency on the driver that runs it (so load/topology.ts, chaos.ts and run-load.ts import this, not each other).

import { checkDuration, describeValue, parseDuration } from "../traffic/duration.ts";
import { checkInt, checkNumber } from "./checks.ts";

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
  /** Driver engine processes (0 and 1: one); default from the peak rate (load/pool.ts enginesFor). */
  workers?: number;
  /** Several instances on one PostgreSQL database, provider farm apart (load/topology.ts). */
  topology?: TopologySpec;
  /** Process kills and database pauses during the run (load/chaos.ts); needs a topology. */
  chaos?: ChaosStep[];
}

export interface TopologySpec {
  /** Primary instances the load is spread across (1..16). */
  instances: number;
  /** A backup instance the primaries forward overflow orders to (default true). */
  backup?: boolean;
  /** "postgres" (a throwaway cluster, the default) or a postgres:// URL of an existing database. */
  store?: string;
}

/** Every problem of a `live.topology` block, each with its path; [] when valid or absent. */
export function validateTopology(t: unknown, path = "live.topology"): string[] {
  if (t === undefined) return [];
  if (t === null || typeof t !== "object" || Array.isArray(t)) {
    return [`${path}: expected an object like { instances: 3, backup: true, store: "postgres" }`];
  }
  const errors: string[] = [];
  const o = t as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!["instances", "backup", "store"].includes(key)) {
      errors.push(`${path}.${key}: unknown key (known: instances, backup, store)`);
    }
  }
  if (o.instances === undefined) errors.push(`${path}.instances: required (primary instances, 1..16)`);
  else checkInt(errors, `${path}.instances`, o.instances, 1, 16);
  if (o.backup !== undefined && typeof o.backup !== "boolean") {
    errors.push(`${path}.backup: must be true or false`);
  }
  if (
    o.store !== undefined &&
    !(typeof o.store === "string" && (o.store === "postgres" || /^postgres(ql)?:\/\/\S+$/.test(o.store)))
  ) {
    errors.push(`${path}.store: must be "postgres" (a throwaway cluster) or a postgres:// URL`);
  }
  return errors;
}

export const CHAOS_ACTIONS = ["kill-instance", "kill-farm", "pause-db"] as const;
export type ChaosActionKind = (typeof CHAOS_ACTIONS)[number];

export interface ChaosStep {
  at: number | string;
  action: ChaosActionKind;
  /** kill-instance: an instance name (primary-1.., backup). */
  target?: string;
  /** kill-instance, kill-farm: restart after this long (absent: stays down until the run ends). */
  restartAfter?: number | string;
  /** pause-db: how long the database stays stopped. */
  duration?: number | string;
}

/** Every problem of a `live.chaos` list, each with its path; `instances` checks kill-instance targets. */
export function validateChaos(chaos: unknown, instances?: number, path = "live.chaos"): string[] {
  if (chaos === undefined) return [];
  if (!Array.isArray(chaos)) return [`${path}: expected a list of chaos actions`];
  const errors: string[] = [];
  chaos.forEach((step: unknown, i) => {
    const p = `${path}[${i}]`;
    if (step === null || typeof step !== "object" || Array.isArray(step)) {
      errors.push(
        `${p}: expected an object like { at: "40s", action: "kill-instance", target: "primary-1" }`,
      );
      return;
    }
    const s = step as Record<string, unknown>;
    const known = ["at", "action", "target", "restartAfter", "duration"];
    for (const key of Object.keys(s)) {
      if (!known.includes(key)) errors.push(`${p}.${key}: unknown key (known: ${known.join(", ")})`);
    }
    if (s.at === undefined) errors.push(`${p}.at: required (a duration from the run start)`);
    else checkDuration(errors, `${p}.at`, s.at, { positive: false });
    if (!CHAOS_ACTIONS.includes(s.action as ChaosActionKind)) {
      errors.push(`${p}.action: must be one of ${CHAOS_ACTIONS.join(", ")}, got ${describeValue(s.action)}`);
      return;
    }
    if (s.action === "kill-instance") {
      const names =
        instances === undefined ? null : [...Array.from({ length: instances }, (_, k) => `primary-${k + 1}`)];
      if (typeof s.target !== "string" || !/^(primary-\d+|backup)$/.test(s.target)) {
        errors.push(`${p}.target: must name an instance (primary-1, primary-2, ..., or backup)`);
      } else if (names !== null && s.target !== "backup" && !names.includes(s.target)) {
        errors.push(`${p}.target: ${s.target} is not in the topology (${names.join(", ")}, backup)`);
      }
    } else if (s.target !== undefined) {
      errors.push(`${p}.target: only kill-instance takes a target`);
    }
    if (s.restartAfter !== undefined) {
      if (s.action === "pause-db") errors.push(`${p}.restartAfter: pause-db takes a duration instead`);
      else checkDuration(errors, `${p}.restartAfter`, s.restartAfter, { positive: false });
    }
    if (s.action === "pause-db") {
      if (s.duration === undefined) errors.push(`${p}.duration: required for pause-db`);
      else checkDuration(errors, `${p}.duration`, s.duration);
    } else if (s.duration !== undefined) {
      errors.push(`${p}.duration: only pause-db takes a duration (use restartAfter)`);
    }
  });
  return errors;
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
