// What a simulation will cost, computed before it runs, and the limits `rushhour sim` refuses beyond.
// A scenario with `rate: 1e9` or a year of traffic used to run silently, memory growing, until killed.
//
// Orders: the integral of each configuration's arrival rate over its traffic (traffic/profile.ts),
// times the replications. They cost time more than memory (an order leaves the run once it is done):
// 3,000,000 orders took 72 s at 380 MB peak RSS, 12,000,000 took 149 s at 391 MB (one replication,
// `rushhour sim FILE --config adaptive --replications 1` on a shared 2-core machine).
// Memory: the first replication of each configuration keeps its window series, about 3 KB a window
// with one provider (720,000 windows of 10 ms: 2.23 GB peak RSS against 0.16 GB for 7,200 windows),
// on top of about 150 MB for the process (a 120,000-order run peaked at 149 MB). The series also goes
// into the RunResult file: 720,000 windows with one provider made a 474 MB file, and with four
// providers JSON.stringify failed (a string is at most 512 MB in V8), so windows are bounded too.
import { armInputs } from "../scenarios/arms.ts";
import type { Scenario } from "../scenarios/define.ts";
import { expectedArrivals, totalDuration } from "../traffic/profile.ts";
import type { SimArm } from "./runner.ts";

/** About 20 minutes of simulation at the rates measured above. */
export const DEFAULT_MAX_ORDERS = 20_000_000;
export const DEFAULT_MAX_MEMORY_MB = 4096;
/** Windows in one configuration's series: at most about 200 MB of RunResult JSON. */
export const MAX_WINDOWS = 300_000;

const BASE_BYTES = 150e6;
const WINDOW_BYTES = 3000;

export interface RunSize {
  /** Orders all configurations and replications will create, rounded. */
  orders: number;
  /** Estimated peak memory, bytes. */
  memoryBytes: number;
  /** The most windows one configuration's series will hold. */
  windows: number;
}

export function runSize(scenario: Scenario, roles: SimArm["role"][], replications: number): RunSize {
  let orders = 0;
  let windows = 0;
  let maxWindows = 0;
  for (const role of roles) {
    const { traffic } = armInputs(scenario, role);
    const span = totalDuration(traffic);
    orders += expectedArrivals(traffic, span) * replications;
    const n = Math.ceil((span + scenario.drain) / scenario.window);
    windows += n;
    maxWindows = Math.max(maxWindows, n);
  }
  return {
    orders: Math.round(orders),
    memoryBytes: BASE_BYTES + windows * WINDOW_BYTES,
    windows: maxWindows,
  };
}

export interface RunLimits {
  maxOrders: number;
  maxMemoryMb: number;
}

/** One line saying why the run is refused, or undefined when it is within the limits. */
export function checkRunSize(size: RunSize, limits: RunLimits): string | undefined {
  const mb = Math.ceil(size.memoryBytes / 1e6);
  const what = `expected ${size.orders} orders and about ${mb} MB of memory`;
  if (size.orders > limits.maxOrders) {
    return `${what}: more than --max-orders ${limits.maxOrders}; raise the limit with --max-orders N, or lower the traffic's rate or duration or the replications`;
  }
  if (mb > limits.maxMemoryMb) {
    return `${what}: more than --max-memory ${limits.maxMemoryMb} (MB); raise the limit with --max-memory MB, or use a longer window or a shorter traffic`;
  }
  if (size.windows > MAX_WINDOWS) {
    return `${what}: ${size.windows} windows in one series, more than ${MAX_WINDOWS} fit a RunResult file; use a longer window (the scenario's window field)`;
  }
  return undefined;
}
