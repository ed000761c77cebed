// What a backlog costs the server's event loop (cpuCostMs.waitPerSecond: ms per second per order waiting in a
// lane queue), measured by calibrate rather than copied from the scenario. Each measured window gives the
// loop's busy ms, the orders it completed and the orders queued. Take from each window what its completions
// cost (the loop's marginal ms per order over the steps that kept up, a line through their means) and what
// is left should rise with the queue by the waiting cost. The rise is read within each step (each window's
// queue and leftover against its step's mean: a least-squares line through the pooled deviations), never
// across steps: the loop's cost per order falls as the rate rises, and the queues are all at the top rates,
// so across steps that fall would read as a waiting cost. Only steps whose queue changed inform it (the ones
// at and past the knee, which the CPU fit leaves out).
//
// Why it matters: at a waiting cost of 0 a simulated backlog drains at (capacity - rate) whatever its size;
// a server that spends more per order the further it falls behind can hold a backlog up near its knee.
// Measured here it is about 0 (a memory server at 1,400 and 1,700/s with queues growing to 4,000 orders:
// -0.01 to 0 ms/s per queued order). docs: README "How far to trust the simulator".
import { linearRegression, mean } from "simple-statistics";
import type { RunResult, RunWindow } from "../results/run-result.ts";

/** One measured window of a calibrate step, per second. */
export interface WindowLoad {
  /** Ms per second the server's event loop was busy. */
  loopMs: number;
  /** Orders completed (delivered or failed) per second. */
  completed: number;
  /** Orders waiting in the server's lane queues, the mean of the window's start and end. */
  queued: number;
  /** The window's length, s. */
  seconds: number;
}

/** Fewer windows with a queue than this leave the waiting cost unmeasured (0): too little to fit. */
export const MIN_QUEUED_WINDOWS = 3;

/** A window counts as holding a queue from this many orders waiting (a few are noise at any rate). */
const QUEUED = 10;

/**
 * Whether a window is one calibrate measures the loop by: it ends inside the step's traffic (the drain's
 * windows serve stragglers) and holds the server's event-loop utilisation.
 */
export function loopWindow(w: RunWindow, windowSeconds: number, trafficMs: number): boolean {
  return (w.t + windowSeconds) * 1000 <= trafficMs && w.eventLoop !== undefined;
}

/**
 * The windows inside a step's traffic with the server's event-loop utilisation, per second. The queue is
 * sampled at each window's end (results/run-result.ts), so a window's is the mean of its two ends (0
 * before the first).
 */
export function windowLoads(r: RunResult, trafficMs: number): WindowLoad[] {
  const out: WindowLoad[] = [];
  let queuedBefore = 0;
  for (const w of r.series) {
    const queued = Object.values(w.queueDepth).reduce((a, b) => a + b, 0);
    if (loopWindow(w, r.windowSeconds, trafficMs)) {
      out.push({
        loopMs: (w.eventLoop as number) * 1000,
        completed: (w.delivered + w.errors) / r.windowSeconds,
        queued: (queuedBefore + queued) / 2,
        seconds: r.windowSeconds,
      });
    }
    queuedBefore = queued;
  }
  return out;
}

export interface WaitingFit {
  /** Loop ms per second per queued order (cpuCostMs.waitPerSecond); 0 when unmeasured or not positive. */
  msPerSecond: number;
  /** Windows fitted, and how many of them held a queue. */
  windows: number;
  queuedWindows: number;
}

/**
 * The waiting cost over each step's windows, given the loop's ms per completed order (see the file's head).
 * 0 when fewer than MIN_QUEUED_WINDOWS windows held a queue, when the cost per order is unknown (not a
 * positive number: the steps that kept up did not tell it), or when the fit finds no positive cost.
 */
export function fitWaitingCost(steps: WindowLoad[][], loopMsPerOrder: number): WaitingFit {
  const windows = steps.flat();
  const queuedWindows = windows.filter((w) => w.queued >= QUEUED).length;
  const unmeasured = { msPerSecond: 0, windows: windows.length, queuedWindows };
  if (queuedWindows < MIN_QUEUED_WINDOWS || !(loopMsPerOrder > 0)) return unmeasured;
  const points: [number, number][] = [];
  for (const step of steps) {
    if (step.length < 2) continue;
    const left = step.map((w) => w.loopMs - loopMsPerOrder * w.completed);
    const meanQueued = mean(step.map((w) => w.queued));
    const meanLeft = mean(left);
    for (const [i, w] of step.entries()) points.push([w.queued - meanQueued, (left[i] as number) - meanLeft]);
  }
  // Every step's queue the same all through: nothing to read the rise from.
  if (!points.some(([q]) => Math.abs(q) > 1e-9)) return unmeasured;
  const { m } = linearRegression(points);
  return { msPerSecond: Number.isFinite(m) && m > 0 ? m : 0, windows: windows.length, queuedWindows };
}

/** The loop ms a step's queues cost at `msPerSecond` (what a step's own CPU figures hold of it). */
export function waitingMs(windows: WindowLoad[], msPerSecond: number): number {
  return msPerSecond * windows.reduce((ms, w) => ms + w.queued * w.seconds, 0);
}
