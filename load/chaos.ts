// A scenario's `live.chaos`: process-level faults applied to a topology (topology.ts) at their
// (scaled) moments, next to the provider faults of the fault schedule:
//   { at: "40s", action: "kill-instance", target: "primary-2", restartAfter: "5s" }   kill -9, then restart
//   { at: "60s", action: "kill-farm", restartAfter: "3s" }                            the provider farm
//   { at: "70s", action: "pause-db", duration: "2s" }                                 SIGSTOP, then SIGCONT
// Every action is recorded (time, action, target, outcome) for the RunResult.
import type { ChaosAction, RunEvent } from "../results/run-result.ts";
import { checkDuration, parseDuration } from "../traffic/duration.ts";
import type { Topology } from "./topology.ts";

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

/** A value for an error message; never throws (BigInt, cycles and symbols defeat JSON.stringify). */
function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || typeof value !== "object") return String(value);
  return Array.isArray(value) ? "a list" : "an object";
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
      errors.push(`${p}.action: must be one of ${CHAOS_ACTIONS.join(", ")}, got ${describe(s.action)}`);
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

function targetOf(step: ChaosStep): string {
  if (step.action === "kill-farm") return "farm";
  if (step.action === "pause-db") return "postgres";
  return step.target as string;
}

export interface ChaosRun {
  /** Every action so far (a restart in progress has no recoveredT yet). */
  actions: ChaosAction[];
  /** Timeline events (kind "chaos") for the report's charts. */
  events(): RunEvent[];
  /** Waits for restarts and resumes under way (and starts those not yet due, at once). */
  settle(): Promise<void>;
  /** Cancels actions not yet due. */
  cancel(): void;
}

/**
 * Schedules the steps against `topology`; `sinceStart()` is ms from the run's start instant, `scale`
 * multiplies every time (like --duration-scale).
 */
export function scheduleChaos(
  steps: readonly ChaosStep[],
  topology: Topology,
  sinceStart: () => number,
  scale: number,
  log: (line: string) => void,
): ChaosRun {
  const actions: ChaosAction[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const pending = new Set<Promise<void>>();
  const recoveries: (() => void)[] = [];
  const t = () => sinceStart() / 1000;
  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        fn();
      },
      Math.max(0, ms),
    );
    timers.add(timer);
    return () => {
      clearTimeout(timer);
      timers.delete(timer);
      fn();
    };
  };
  const track = (p: Promise<void>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };

  for (const step of steps) {
    const at = parseDuration(step.at) * scale;
    later(at - sinceStart(), () => {
      const record: ChaosAction = { t: t(), action: step.action, target: targetOf(step), outcome: "ok" };
      actions.push(record);
      const fail = (err: unknown) => {
        record.outcome = `failed: ${(err as Error).message.split("\n")[0]}`;
        log(`chaos ${step.action} ${record.target}: ${record.outcome}`);
      };
      if (step.action === "pause-db") {
        try {
          const pids = topology.pauseDatabase();
          log(`t=${record.t.toFixed(1)}s chaos: paused PostgreSQL (${pids.length} processes)`);
        } catch (err) {
          fail(err);
          return;
        }
        const resume = () => {
          topology.resumeDatabase();
          record.recoveredT = t();
          log(`t=${record.recoveredT.toFixed(1)}s chaos: resumed PostgreSQL`);
        };
        let done = false;
        const once = () => {
          if (!done) {
            done = true;
            resume();
          }
        };
        const now = later(parseDuration(step.duration as string | number) * scale, once);
        recoveries.push(now);
        return;
      }
      const member = step.action === "kill-farm" ? topology.farm : topology.member(targetOf(step));
      if (member === undefined) {
        fail(new Error(`no process named ${targetOf(step)}`));
        return;
      }
      const killed = member.kill().then(
        () => log(`t=${t().toFixed(1)}s chaos: kill -9 ${member.name}`),
        (err: unknown) => fail(err),
      );
      track(killed);
      if (step.restartAfter === undefined) return;
      let started = false;
      const restart = () => {
        if (started) return;
        started = true;
        track(
          killed
            .then(() => member.restart())
            .then(
              () => {
                record.recoveredT = t();
                log(`t=${record.recoveredT.toFixed(1)}s chaos: ${member.name} restarted`);
              },
              (err: unknown) => fail(err),
            ),
        );
      };
      recoveries.push(later(parseDuration(step.restartAfter) * scale, restart));
    });
  }

  return {
    actions,
    events: () =>
      actions.map((a) => ({
        t: a.t,
        kind: "chaos" as const,
        message: `chaos: ${a.action} ${a.target}${a.outcome === "ok" ? "" : ` (${a.outcome})`}`,
        to: a.action,
        ...(a.recoveredT !== undefined ? { endT: a.recoveredT } : {}),
        data: { target: a.target, outcome: a.outcome },
      })),
    settle: async () => {
      // Restarts and resumes that are due later happen now: recovery must finish before the audit.
      for (const r of recoveries.splice(0)) r();
      while (pending.size > 0) await Promise.all([...pending]);
    },
    cancel: () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
