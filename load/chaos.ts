// A scenario's `live.chaos` (validated in scenarios/live.ts): process-level faults applied to a topology (topology.ts) at their
// (scaled) moments, next to the provider faults of the fault schedule:
//   { at: "40s", action: "kill-instance", target: "primary-2", restartAfter: "5s" }   kill -9, then restart
//   { at: "60s", action: "kill-farm", restartAfter: "3s" }                            the provider farm
//   { at: "70s", action: "pause-db", duration: "2s" }                                 SIGSTOP, then SIGCONT
// Every action is recorded (time, action, target, outcome) for the RunResult.
import type { ChaosAction, RunEvent } from "../results/run-result.ts";
import type { ChaosStep } from "../scenarios/live.ts";
import { parseDuration } from "../traffic/duration.ts";

/** A process chaos can kill and restart (a topology member, load/topology.ts). */
export interface ChaosProcess {
  readonly name: string;
  kill(): Promise<void>;
  restart(): Promise<void>;
}

/** What chaos acts on: a running topology (load/topology.ts implements it). */
export interface ChaosTopology {
  farm: ChaosProcess;
  member(name: string): ChaosProcess | undefined;
  /** SIGSTOP on the database; returns the stopped pids. */
  pauseDatabase(): number[];
  resumeDatabase(): void;
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
  topology: ChaosTopology,
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
