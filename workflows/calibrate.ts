// `rushhour calibrate` as a function: hold a few steady rates against local stacks (a fresh one per step)
// or running servers, measure what each process spent per completed order, fit the server's CPU per order
// over the steps (linear regression, residuals kept), read the store and provider timings the server took
// itself in each step (GetSnapshot's operations, server/op-timings.ts), and return a calibration profile
// (scenarios/calibration-profile.ts) saying where and when it was measured.
import { execFileSync } from "node:child_process";
import { availableParallelism, cpus, hostname } from "node:os";
import { performance } from "node:perf_hooks";
import { linearRegression, linearRegressionLine, mean } from "simple-statistics";
import { Admin } from "../load/admin.ts";
import { driverCpuMs } from "../load/pool.ts";
import { processCpuMs } from "../load/process-cpu.ts";
import { runLoad } from "../load/run-load.ts";
import { LatencyHistogram } from "../results/histogram.ts";
import type { RunResult } from "../results/run-result.ts";
import {
  CALIBRATION_PROFILE_VERSION,
  type CalibrationProfile,
  CalibrationProfileSchema,
} from "../scenarios/calibration-profile.ts";
import type { Scenario } from "../scenarios/define.ts";
import type { DispatchConfig } from "../server/core/config.ts";
import { type OperationTimingView, operationView } from "../server/op-timings.ts";
import { resolveArm } from "./arms.ts";
import { fitLoopTurns, type TurnStep } from "./calibrate-turns.ts";
import { fitWaitingCost, loopWindow, type WindowLoad, waitingMs, windowLoads } from "./calibrate-waiting.ts";
import { startScenarioStack, waitForIdleStack } from "./scenario-stack.ts";
import { steadyScenario } from "./steady.ts";

export type CalibrateStore = "memory" | "sqlite";

/**
 * The configuration a local step's server runs: the scenario's, with health tracking off, so every order
 * takes every stage and a step measures what the whole pipeline costs. With it on, a server whose own
 * event loop fell behind read its answers late, isolated the risk service and skipped it: at 950/s on
 * this machine it checked 0.45 orders in 1 and its loop read 861 ms busy a second, against 1.00 and 968
 * with health off (861 was also its reading at 600/s), so the simulated loop had room at 85% of the knee
 * that the live one did not. Which stage a server isolates, and when, is behaviour the simulator
 * reproduces from the loop's own queue (simulator/models/cpu.ts); it is not part of an order's cost.
 */
export function wholePipeline(config: DispatchConfig): DispatchConfig {
  return { ...config, health: { ...config.health, enabled: false } };
}

export interface CalibrateOptions {
  /** Whose providers, cluster size, SKUs and candidate configuration run during the measurement. */
  scenario: Scenario;
  /** Steady rates to hold, orders per second (at least 2 for a fit). */
  rates: number[];
  /** How long each rate is held, ms. */
  stepMs: number;
  /**
   * An unmeasured run at each step's rate before it is measured, ms (0: none). A freshly started server
   * compiles its hot paths during its first seconds, and a server first driven at a higher rate grows
   * into it (heap, hot paths of the busier code) for seconds more: measured, that read as CPU per order
   * (0.55 cores at 200/s cold against 0.42 warm; at 1,000/s a loop 100% busy delivering 835/s, where
   * a warm server's was 75% busy at 926/s, and the simulated twin saturated at 85% of the live knee).
   */
  warmupMs?: number;
  /** The local stack's store (ignored with targets). */
  store: CalibrateStore;
  /** HOST:PORT of running servers; absent: start a local stack. */
  targets?: string[];
  adminToken?: string | null;
  command: string[];
  onProgress?: (done: number, total: number, label: string) => void;
  log?: (line: string) => void;
}

/** What one step measured: CPU ms per process over the step, and what completed. */
interface StepMeasure {
  rate: number;
  completed: number;
  /** Orders the driver sent during the step. */
  submitted: number;
  seconds: number;
  serverMs: number;
  /** Ms the server's event loop was busy (its utilisation per window, from GetSnapshot); null: not reported. */
  serverLoopMs: number | null;
  driverMs: number;
  farmMs: number;
  /** The server's operation timings (cumulative since it started) at the end of the step. */
  operations: OperationTimingView[];
  /** The server's garbage-collection pauses during the step (GetSnapshot's process, after minus before). */
  gc: { pauses: number; ms: number; cv: number | null };
  /** The step's windows inside the traffic: loop busy ms, completions and queue (the waiting cost's fit). */
  windows: WindowLoad[];
  /** Ms per second of traffic the server's event-loop thread waited for a CPU core; null: not reported. */
  loopWaitMsPerSecond: number | null;
  /** Ms per second of traffic the server's event-loop thread ran on a core; null: not reported. */
  loopCpuMsPerSecond: number | null;
  /** Turns per second of traffic the server's event loop went round; null: not reported. */
  loopTurnsPerSecond: number | null;
}

export class CalibrateError extends Error {
  override name = "CalibrateError";
}

/** A step that completed less than this share of the orders it sent was saturated (left out of the fit). */
const SATURATED = 0.9;

export async function calibrate(o: CalibrateOptions): Promise<CalibrationProfile> {
  if (o.rates.length < 2) throw new CalibrateError("--rates: give at least 2 rates to fit the CPU cost");
  const log = o.log ?? (() => {});
  const arm = resolveArm(o.scenario);
  const local = o.targets === undefined;
  if (!local && (o.adminToken ?? null) === null) {
    throw new CalibrateError(
      "--admin-token: calibrate reads the servers' own timings, which needs their admin token",
    );
  }
  // Each step on a local stack of its own, like every live run the twin compares (bench/twin.ts): one
  // stack held through all the steps carried each step's orders into the next (a memory store's heap
  // grows by every order), and its later steps read the services slower than a fresh server at the same
  // rate does (the risk check's median 30 ms at 600/s against 19 ms in the twin's own run at 654/s).
  // Running servers (--target) are measured as they are.
  const serversFor = async () => {
    if (!local) {
      const addresses = o.targets as string[];
      return { addresses, adminToken: o.adminToken as string, pids: null, stop: async () => {} };
    }
    // One server, no backup: its CPU per order is what the profile fits, and orders it forwarded to a
    // backup would be served on another process's CPU.
    const stack = await startScenarioStack(o.scenario, wholePipeline(arm.config), {
      ...(o.store === "memory" ? { store: "memory:" } : {}),
      backup: false,
      log,
    });
    return { addresses: [stack.target], adminToken: stack.adminToken, pids: stack.pids, stop: stack.stop };
  };
  const steps: StepMeasure[] = [];
  let hopMs = 0;
  const warmupMs = o.warmupMs ?? 0;
  for (const [i, rate] of o.rates.entries()) {
    const servers = await serversFor();
    const admin = new Admin(servers.addresses[0] as string, servers.adminToken);
    try {
      if (warmupMs > 0) {
        o.onProgress?.(i, o.rates.length, `${rate}/s warm-up`);
        await measureStep(
          { ...o, stepMs: warmupMs },
          rate,
          servers.addresses,
          servers.adminToken,
          null,
          () => {},
        );
        log(`warm-up: ${warmupMs / 1000} s at ${rate}/s, not measured`);
        // A local stack serves only this run (running servers may serve others: never idle).
        if (local) await waitForIdleStack(servers.addresses[0] as string, servers.adminToken, log);
      }
      o.onProgress?.(i, o.rates.length, `${rate}/s`);
      const before = await admin.getSnapshot(undefined, { operations: true });
      const measured = await measureStep(o, rate, servers.addresses, servers.adminToken, servers.pids, (p) =>
        o.onProgress?.(i + p, o.rates.length, `${rate}/s`),
      );
      // The server's timings and pauses are cumulative: the step's own are the difference of two snapshots.
      const after = await admin.getSnapshot(undefined, { operations: true });
      const operations = stepTimings(before.operations, after.operations);
      const loop = stepLoopSchedule(before.process, after.process, measured.seconds);
      steps.push({
        ...measured,
        operations,
        gc: stepPauses(before.process, after.process),
        loopCpuMsPerSecond: loop.cpu,
        loopWaitMsPerSecond: loop.wait,
        loopTurnsPerSecond: loop.turns,
      });
      log(`step ${rate}/s: ${measured.completed} of ${measured.submitted} orders completed`);
      if (i === 0) hopMs = await halfRoundTrip(admin);
    } finally {
      admin.close();
      await servers.stop();
    }
  }
  o.onProgress?.(o.rates.length, o.rates.length, "timings");
  return buildProfile(o, steps, hopMs, local);
}

type LoopCounters = { loopCpuMs?: number; loopWaitMs?: number; loopTurns?: number } | undefined;

/**
 * Ms per second of the step's traffic the server's event-loop thread ran on a core (`cpu`) and was ready to run
 * but waited for one (`wait`), from two snapshots of its process (cumulative counters; the orders' last answers
 * after the traffic are its work too, and the seconds before it start are idle); null for a counter the server
 * does not report. Together they say how much of each second the loop ran or wanted to: the utilisation counts the
 * moments it was preempted while busy as busy, so on a machine short of cores it reads somewhere between `cpu`
 * and `cpu + wait`. `turns`: how many times the loop went round per second.
 */
export function stepLoopSchedule(
  before: LoopCounters,
  after: LoopCounters,
  trafficSeconds: number,
): { cpu: number | null; wait: number | null; turns: number | null } {
  const perSecond = (b: number | undefined, a: number | undefined) =>
    b === undefined || a === undefined || !(trafficSeconds > 0) ? null : Math.max(0, a - b) / trafficSeconds;
  return {
    cpu: perSecond(before?.loopCpuMs, after?.loopCpuMs),
    wait: perSecond(before?.loopWaitMs, after?.loopWaitMs),
    turns: perSecond(before?.loopTurns, after?.loopTurns),
  };
}

interface PauseTotals {
  gcPauses: number;
  gcPauseMs: number;
  /** Absent (or 0 with pauses) from a server older than the field: the spread is then unknown. */
  gcPauseSqMs?: number;
}

/**
 * The garbage-collection pauses between two snapshots of one server (0 from a server that reports none):
 * how many, their total ms and the coefficient of variation of their lengths (null when unknown).
 */
export function stepPauses(
  before: PauseTotals | undefined,
  after: PauseTotals | undefined,
): { pauses: number; ms: number; cv: number | null } {
  if (before === undefined || after === undefined) return { pauses: 0, ms: 0, cv: null };
  const pauses = Math.max(0, after.gcPauses - before.gcPauses);
  const ms = Math.max(0, after.gcPauseMs - before.gcPauseMs);
  const sq = (after.gcPauseSqMs ?? 0) - (before.gcPauseSqMs ?? 0);
  let cv: number | null = null;
  if (pauses > 1 && ms > 0 && sq > 0) {
    const mean = ms / pauses;
    cv = Math.sqrt(Math.max(0, sq / pauses - mean * mean)) / mean;
  }
  return { pauses, ms, cv };
}

async function measureStep(
  o: CalibrateOptions,
  rate: number,
  addresses: string[],
  adminToken: string,
  pids: { server: number; farm: number } | null,
  progress: (share: number) => void,
): Promise<
  Omit<StepMeasure, "operations" | "gc" | "loopWaitMsPerSecond" | "loopCpuMsPerSecond" | "loopTurnsPerSecond">
> {
  const scenario = steadyScenario(o.scenario, rate, o.stepMs);
  const arm = resolveArm(o.scenario);
  type Reading = { server: number | null; farm: number | null; driver: number; at: number };
  let before: Reading | null = null;
  let after: Reading | null = null;
  const read = (): Reading => ({
    server: pids ? processCpuMs(pids.server) : null,
    farm: pids ? processCpuMs(pids.farm) : null,
    // The driver: this process and its engine processes (load/pool.ts).
    driver: driverCpuMs(),
    at: performance.now(),
  });
  const { result } = await runLoad({
    scenario,
    arm: { name: arm.name, role: "single", definition: arm.config },
    target: { addresses, adminToken },
    durationScale: 1,
    command: o.command,
    onProgress: (p) => progress(Math.min(1, p.elapsedS / Math.max(1, p.totalS))),
    onStart: () => {
      before = read();
    },
    afterTraffic: async () => {
      after = read();
      return {};
    },
  });
  // Assigned in the callbacks above (TypeScript's flow analysis does not see into them).
  const b = before as Reading | null;
  const a = after as Reading | null;
  if (b === null || a === null) throw new CalibrateError(`the ${rate}/s step did not start`);
  const completed = result.counters.delivered + result.counters.failed;
  const seconds = (a.at - b.at) / 1000;
  const diff = (x: number | null, y: number | null) => (x === null || y === null ? null : Math.max(0, y - x));
  return {
    rate,
    completed,
    submitted: result.counters.submitted,
    seconds,
    // Running servers: their own CPU figures, window by window (GetSnapshot's process CPU).
    serverMs: diff(b.server, a.server) ?? serverCpuFromSeries(result),
    serverLoopMs: serverLoopOver(result, o.stepMs, completed),
    windows: windowLoads(result, o.stepMs),
    driverMs: a.driver - b.driver,
    farmMs: diff(b.farm, a.farm) ?? 0,
  };
}

/** CPU ms the servers spent over a run, from the series (CPU share of the machine's cores per window). */
function serverCpuFromSeries(r: RunResult): number {
  const cores = availableParallelism();
  let ms = 0;
  for (const w of r.series) for (const v of Object.values(w.cpu)) ms += v * cores * r.windowSeconds * 1000;
  return ms;
}

/**
 * Ms the server's event loop was busy per order over the traffic, times the step's completed orders (so the
 * step's loop figure per order is this over `completed`, like its CPU): the windows inside the traffic, their
 * event-loop utilisation (the busiest server's, load/series.ts) times their length, over the orders they
 * delivered; null when the server reported none. Not the traffic's utilisation times the CPU reading's
 * interval: that interval runs on until the last order is answered, and counting the drain's seconds at the
 * traffic's utilisation put the loop at 145% busy (1.45 ms an order at 1,000/s).
 */
export function serverLoopOver(r: RunResult, trafficMs: number, completed: number): number | null {
  const inside = r.series.filter((w) => loopWindow(w, r.windowSeconds, trafficMs));
  const delivered = inside.reduce((n, w) => n + w.delivered, 0);
  if (inside.length === 0 || delivered === 0) return null;
  const busyMs = inside.reduce((ms, w) => ms + (w.eventLoop as number) * r.windowSeconds * 1000, 0);
  return (busyMs / delivered) * completed;
}

/** Half the median round trip of a small admin call: the one-way hop to a server on this network. */
async function halfRoundTrip(admin: Admin): Promise<number> {
  const rtts: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t = performance.now();
    await admin.getSnapshot();
    rtts.push(performance.now() - t);
  }
  rtts.sort((x, y) => x - y);
  return (rtts[Math.floor(rtts.length / 2)] as number) / 2;
}

/** The share of the scenario's typed-in per-order stage costs each stage takes (how the fitted total is split). */
function stageShares(
  scenario: Scenario,
): Record<"accept" | "allocate" | "issue" | "deliver" | "retry", number> {
  const c = scenario.cluster.cpuCostMs;
  const once = c.accept + c.allocate + c.issue + c.deliver;
  const even = once === 0;
  const share = (v: number) => (even ? 0.25 : v / once);
  return {
    accept: share(c.accept),
    allocate: share(c.allocate),
    issue: share(c.issue),
    deliver: share(c.deliver),
    retry: even ? 0.25 : c.retry / once,
  };
}

/**
 * What the server timed between two snapshots, operation by operation: `after`'s histogram minus
 * `before`'s. A server too old to send its histograms gives its cumulative figures, as before.
 */
export function stepTimings(
  before: OperationTimingView[],
  after: OperationTimingView[],
): OperationTimingView[] {
  return after.map((t) => {
    if (t.histogram === "") return t;
    const h = LatencyHistogram.decode(t.histogram);
    const earlier = before.find((b) => b.name === t.name);
    if (earlier !== undefined && earlier.histogram !== "")
      h.subtract(LatencyHistogram.decode(earlier.histogram));
    return operationView(t.name, h);
  });
}

export function buildProfile(
  o: Pick<CalibrateOptions, "scenario" | "store" | "targets">,
  steps: StepMeasure[],
  hopMs: number,
  local: boolean,
): CalibrationProfile {
  // A step that left orders unfinished was past saturation: its CPU went to orders that never completed,
  // so CPU per completed order there is not the cost of an order. Only steps that completed what they sent fit.
  const kept = steps.filter(
    (s) => s.seconds > 0 && s.completed > 0 && s.completed >= SATURATED * s.submitted,
  );
  // The waiting cost from every step's windows, the saturated ones too (they are where queues are), with
  // the loop's cost per order from the steps that kept up (their mean loop ms per second against their
  // completions per second: the slope).
  const loopMeans = kept
    .filter((s) => s.windows.length > 0)
    .map((s) => [mean(s.windows.map((w) => w.completed)), mean(s.windows.map((w) => w.loopMs))]);
  const loopSlope = loopMeans.length >= 2 ? linearRegression(loopMeans).m : Number.NaN;
  const waiting = fitWaitingCost(
    steps.map((s) => s.windows),
    loopSlope,
  );
  // The simulator books waiting orders' CPU apart from the orders' own (simulator/models/cpu.ts), so a
  // step's figures per order leave out what its queues cost.
  const usable = kept.map((s) => {
    const ms = waitingMs(s.windows, waiting.msPerSecond);
    if (ms === 0) return s;
    const less = (v: number) => Math.max(0, v - ms);
    return {
      ...s,
      serverMs: less(s.serverMs),
      serverLoopMs: s.serverLoopMs === null ? null : less(s.serverLoopMs),
    };
  });
  if (usable.length < 2) {
    const seen = steps.map((s) => `${s.rate}/s: ${s.completed} of ${s.submitted}`).join(", ");
    throw new CalibrateError(
      `--rates: a CPU fit needs 2 steps that completed at least ${SATURATED * 100}% of their orders, got ${usable.length} (${seen}); give lower rates`,
    );
  }
  // CPU ms per second against completed orders per second: the slope is the CPU cost of one order, the
  // intercept what the process spends with no orders (timers, snapshots); each step's residual is kept.
  const fitPerOrder = (pick: (s: StepMeasure) => number) => {
    const points = usable.map((s) => [s.completed / s.seconds, pick(s) / s.seconds]);
    const line = linearRegression(points);
    // A slope of 0 or less says the steps did not separate per-order from idle CPU (too few orders, a
    // machine busy with other work): the cost is then the steps' CPU over their orders, through the origin.
    if (!(line.m > 0)) {
      const m = usable.reduce((a, s) => a + pick(s), 0) / usable.reduce((a, s) => a + s.completed, 0);
      return { slope: m, predict: (x: number) => m * x };
    }
    return { slope: line.m, predict: linearRegressionLine(line) };
  };
  const server = fitPerOrder((s) => s.serverMs);
  const driver = fitPerOrder((s) => s.driverMs);
  const farm = fitPerOrder((s) => s.farmMs);
  const cpuSteps = usable.map((s) => {
    const throughput = s.completed / s.seconds;
    return {
      rate: s.rate,
      completed: s.completed,
      serverMsPerOrder: s.serverMs / s.completed,
      serverLoopMsPerOrder: s.serverLoopMs === null ? undefined : s.serverLoopMs / s.completed,
      gcPausesPerOrder: s.gc.pauses / s.completed,
      gcPauseMs: s.gc.pauses > 0 ? s.gc.ms / s.gc.pauses : 0,
      ...(s.gc.cv === null ? {} : { gcPauseCv: s.gc.cv }),
      ...(s.loopWaitMsPerSecond === null ? {} : { loopWaitMsPerSecond: s.loopWaitMsPerSecond }),
      ...(s.loopCpuMsPerSecond === null ? {} : { loopCpuMsPerSecond: s.loopCpuMsPerSecond }),
      ...(s.loopTurnsPerSecond === null ? {} : { loopTurnsPerSecond: s.loopTurnsPerSecond }),
      driverMsPerOrder: s.driverMs / s.completed,
      farmMsPerOrder: s.farmMs / s.completed,
      fittedServerMsPerOrder: Math.max(0, server.predict(throughput) / throughput),
    };
  });
  const rms = Math.sqrt(
    cpuSteps.reduce((sum, s) => sum + (s.serverMsPerOrder - s.fittedServerMsPerOrder) ** 2, 0) /
      cpuSteps.length,
  );
  const loopTurns = fitLoopTurns(turnSteps(usable));
  const shares = stageShares(o.scenario);
  // The server's timings in its lowest-rate step (each step's own: stepTimings). A provider's
  // latency as the server sees it includes the wait for the server's own event loop to read the answer,
  // and the simulator queues every order's CPU on that loop itself: taken after the top step (loop ~100%
  // busy), the same wait was counted twice (p1's median 80 ms against 41 ms at 200/s, 40 typed in),
  // orders held their worker slots longer, and the simulated knee sat at 855/s against 1,337/s live. At
  // the lowest rate that wait is least.
  const operations = (usable[0] as StepMeasure).operations;
  // Only the lowest rate's: the simulated core reads every answer once its own event loop has served the
  // work queued before it (simulator/models/cpu.ts), so the wait that grows with the rate is modelled
  // there. Profiles written before that also kept each service's latency at every step whose loop was
  // under 75% busy (`byRate`), drawn at the current rate: with the simulated wait that counted it twice
  // (memory, promo-peak at 356/s, 30% of the knee: simulated P50 84.0 ms with them, 79.8 without, live
  // 75.6).
  const op = (name: string) => operations.find((t) => t.name === name);
  const providers: CalibrationProfile["providers"] = {};
  for (const t of operations) {
    if (!t.name.startsWith("provider.") || t.count === 0) continue;
    providers[t.name.slice("provider.".length)] = { values: t.quantilesMs };
  }
  const round = (v: number) => Math.round(v * 10_000) / 10_000;
  const profile: CalibrationProfile = {
    version: CALIBRATION_PROFILE_VERSION,
    measured: {
      at: new Date().toISOString(),
      host: hostname(),
      cores: availableParallelism(),
      cpuModel: cpus()[0]?.model ?? "unknown",
      node: process.version,
      commit: gitCommit(),
      target: local ? "local" : (o.targets ?? []).join(","),
      store: o.store,
      scenario: o.scenario.name,
    },
    cpu: {
      stageMs: {
        accept: round(server.slope * shares.accept),
        allocate: round(server.slope * shares.allocate),
        issue: round(server.slope * shares.issue),
        deliver: round(server.slope * shares.deliver),
        retry: round(server.slope * shares.retry),
      },
      waitPerSecond: round(waiting.msPerSecond),
      waitFit: { windows: waiting.windows, queuedWindows: waiting.queuedWindows },
      // A Node server is one event loop; the stores calibrate runs (memory, better-sqlite3) work on it.
      processorsPerInstance: 1,
      colocated: local
        ? {
            machineCores: availableParallelism(),
            driverMsPerOrder: round(driver.slope),
            farmMsPerOrder: round(farm.slope),
          }
        : null,
      steps: cpuSteps.map((s) => ({
        ...s,
        serverMsPerOrder: round(s.serverMsPerOrder),
        ...(s.serverLoopMsPerOrder === undefined
          ? {}
          : { serverLoopMsPerOrder: round(s.serverLoopMsPerOrder) }),
        // Pauses per order are small numbers (0.003 at 841/s): six places, not four.
        gcPausesPerOrder: Math.round(s.gcPausesPerOrder * 1e6) / 1e6,
        gcPauseMs: round(s.gcPauseMs),
        ...(s.gcPauseCv === undefined ? {} : { gcPauseCv: round(s.gcPauseCv) }),
        ...(s.loopWaitMsPerSecond === undefined ? {} : { loopWaitMsPerSecond: round(s.loopWaitMsPerSecond) }),
        ...(s.loopCpuMsPerSecond === undefined ? {} : { loopCpuMsPerSecond: round(s.loopCpuMsPerSecond) }),
        ...(s.loopTurnsPerSecond === undefined ? {} : { loopTurnsPerSecond: round(s.loopTurnsPerSecond) }),
        driverMsPerOrder: round(s.driverMsPerOrder),
        farmMsPerOrder: round(s.farmMsPerOrder),
        fittedServerMsPerOrder: round(s.fittedServerMsPerOrder),
      })),
      rmsResidualMs: round(rms),
      ...(loopTurns === null
        ? {}
        : {
            loopTurns: {
              turnMs: round(loopTurns.turnMs),
              orderMs: round(loopTurns.orderMs),
              turnsPerOrder: round(loopTurns.turnsPerOrder),
              wakesPerOrder: round(loopTurns.wakesPerOrder),
              wakeMs: round(loopTurns.wakeMs),
              rmsResidualMs: round(loopTurns.rmsResidualMs),
            },
          }),
    },
    store: {
      claimMs: round(op("store.claim")?.meanMs ?? 0),
      stockMs: round(op("store.stock")?.meanMs ?? 0),
      deliverMs: round(op("store.deliver")?.meanMs ?? 0),
      releaseMs: round(op("store.release")?.meanMs ?? 0),
    },
    providers,
    hopMs: round(hopMs),
  };
  // What we write is what `--calibration` reads: validate before anyone else does.
  return CalibrationProfileSchema.parse(profile);
}

/**
 * A step whose event loop was busy this many ms of each second of its traffic, or more, was saturated: the loop
 * cannot be busier, its turns collapse (0.1 an order), and its busy time per completed order counts the backlog
 * it served after the traffic (memory store here: 1,260 and 1,652 ms a second at 1,200 and 1,400/s, beside 916
 * at 1,000/s). Such a step says nothing of what a turn or an order costs.
 */
const SATURATED_LOOP_MS = 950;

/**
 * The loop-turn fit's inputs (workflows/calibrate-turns.ts) from the steps whose loop kept up, when every step
 * measured the loop's busy time and turns (else none): per second of traffic, the loop's busy ms less its pauses
 * (waiting is already off serverLoopMs), and the service calls each completed order made (every provider., risk
 * and notification timing the server took: an answer wakes the loop).
 */
export function turnSteps(steps: StepMeasure[]): TurnStep[] {
  if (!steps.every((s) => s.serverLoopMs !== null && s.loopTurnsPerSecond !== null)) return [];
  return steps
    .filter((s) => (s.serverLoopMs as number) / s.seconds < SATURATED_LOOP_MS)
    .map((s) => ({
      rate: s.completed / s.seconds,
      turnsPerSecond: s.loopTurnsPerSecond as number,
      loopMsPerSecond: Math.max(0, (s.serverLoopMs as number) - s.gc.ms) / s.seconds,
      callsPerOrder:
        s.operations.filter((t) => t.name.startsWith("provider.")).reduce((n, t) => n + t.count, 0) /
        s.completed,
    }));
}

function gitCommit(): string {
  try {
    return execFileSync("git", ["rev-parse", "--short=12", "HEAD"], {
      cwd: new URL(".", import.meta.url),
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return "unknown";
  }
}
