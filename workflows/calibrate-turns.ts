// What a turn of the server's event loop costs, apart from the orders it serves (calibrate's loop-turn fit).
//
// A Node server's loop wakes for whatever is ready (a request, a provider's answer), runs it and everything
// else that became ready meanwhile, and goes round again. Each turn pays a fixed cost (polling, timers, the
// scheduler waking the thread, writes flushed) besides the work of the orders in it. At a low rate nearly
// every event has a turn of its own; near saturation a turn serves many, so the loop's busy time per order
// falls as the rate rises (measured here on the SQLite store: 7.0 turns an order at 200/s, 0.45 at 1,200/s;
// loop busy 2.4 ms an order at 200/s, 0.75 at 1,200/s). A simulator that charges every order the busy time
// per order measured at its rate puts the loop near 100% busy from 60% of the knee and queues orders
// that the live loop serves in its next turn (README, "How far to trust the simulator"). Charging a turn's
// cost once per simulated turn (simulator/models/cpu.ts) lets it fall with the load as the live one does.
//
// The fit: each step's loop busy ms per second (less its garbage-collection pauses and its waiting orders'
// cost, which the simulator books apart) = turnMs x turns per second + orderMs x orders per second, least
// squares through the origin. The simulator's loop wakes fewer times per order than the live one (it has no
// HTTP/2 frames, timers or socket writes of its own: one wake for the order and one per service answer), so
// its cost per wake is the live turns' cost of an order at the lowest rate over its wakes per order there.
import type { CalibrationProfile } from "../scenarios/calibration-profile.ts";

export interface TurnStep {
  /** Orders completed per second. */
  rate: number;
  /** The loop's turns per second. */
  turnsPerSecond: number;
  /** The loop's busy ms per second, less pauses and waiting. */
  loopMsPerSecond: number;
  /** Service calls (providers, risk, notification) per completed order: the answers that wake the loop. */
  callsPerOrder: number;
}

export type LoopTurnFit = NonNullable<CalibrationProfile["cpu"]["loopTurns"]>;

/**
 * The loop-turn fit over steps ordered by rate (lowest first), or null when it cannot be made: fewer than
 * 2 steps, or a fit whose costs are not both positive (the steps did not separate turns from orders).
 */
export function fitLoopTurns(steps: TurnStep[]): LoopTurnFit | null {
  if (steps.length < 2) return null;
  // Normal equations of y = a*t + b*r through the origin.
  let tt = 0;
  let tr = 0;
  let rr = 0;
  let ty = 0;
  let ry = 0;
  for (const s of steps) {
    tt += s.turnsPerSecond ** 2;
    tr += s.turnsPerSecond * s.rate;
    rr += s.rate ** 2;
    ty += s.turnsPerSecond * s.loopMsPerSecond;
    ry += s.rate * s.loopMsPerSecond;
  }
  const det = tt * rr - tr * tr;
  if (!(Math.abs(det) > 0)) return null;
  const turnMs = (ty * rr - tr * ry) / det;
  const orderMs = (tt * ry - tr * ty) / det;
  if (!(turnMs > 0 && orderMs > 0)) return null;
  const residuals = steps.map(
    (s) => (s.loopMsPerSecond - turnMs * s.turnsPerSecond - orderMs * s.rate) / s.rate,
  );
  const lowest = steps[0] as TurnStep;
  const turnsPerOrder = lowest.turnsPerSecond / lowest.rate;
  const wakesPerOrder = 1 + lowest.callsPerOrder;
  return {
    turnMs,
    orderMs,
    turnsPerOrder,
    wakesPerOrder,
    wakeMs: (turnMs * turnsPerOrder) / wakesPerOrder,
    rmsResidualMs: Math.sqrt(residuals.reduce((a, r) => a + r * r, 0) / residuals.length),
  };
}
