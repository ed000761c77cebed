// One RunWindow from what the driver measured in a window (merged over engines) and what the
// server reported at the window's end (GetSnapshot): CPU and event-loop utilisation, provider
// health, queue depths, overflow, and the counters whose deltas give retries and route switches.
import type { GetSnapshotResponse } from "../proto/gen/rushhour/v1/admin.ts";
import type { RunWindow } from "../results/run-result.ts";
import type { MergedWindow } from "./pool.ts";

const HEALTH: Record<number, string> = { 1: "HEALTHY", 2: "SUB_HEALTHY", 3: "ISOLATED", 4: "PROBING" };
const LANE: Record<number, string> = { 1: "vip", 2: "default", 3: "overflow" };

export function healthName(state: number): string {
  return HEALTH[state] ?? "UNKNOWN";
}

/** Snapshots of every target taken at the end of one window (missing targets left out). */
export type WindowSnapshots = GetSnapshotResponse[];

export interface SeriesContext {
  windowMs: number;
  /** Cores of the server's machine: GetSnapshot reports CPU in [0, cores]; RunWindow wants 0..1. */
  cores: number;
}

function counter(
  snaps: WindowSnapshots | undefined,
  pick: (s: GetSnapshotResponse) => number,
): number | null {
  if (snaps === undefined || snaps.length === 0) return null;
  return snaps.reduce((sum, s) => sum + pick(s), 0);
}

function delta(
  now: WindowSnapshots | undefined,
  before: WindowSnapshots | undefined,
  pick: (s: GetSnapshotResponse) => number,
): number {
  const a = counter(now, pick);
  const b = counter(before, pick);
  return a === null || b === null ? 0 : Math.max(0, a - b);
}

export function buildWindow(
  w: MergedWindow,
  snaps: WindowSnapshots | undefined,
  previous: WindowSnapshots | undefined,
  ctx: SeriesContext,
): RunWindow {
  const sec = ctx.windowMs / 1000;
  const c = w.counts;
  const h = w.histogram;
  const queueDepth: Record<string, number> = {};
  const cpu: Record<string, number> = {};
  let eventLoop: number | undefined;
  let overflowActive = false;
  let inFlight = w.inFlight;
  const providers: RunWindow["providers"] = [];
  if (snaps !== undefined && snaps.length > 0) {
    inFlight = 0;
    const seenProviders = new Set<string>();
    snaps.forEach((s, k) => {
      for (const lane of s.lanes) {
        const name = LANE[lane.lane] ?? "unknown";
        const key = lane.cluster === 2 ? `backup:${name}` : name;
        queueDepth[key] = (queueDepth[key] ?? 0) + lane.queueDepth;
      }
      const role = s.role || "primary";
      const key = cpu[role] === undefined ? role : `${role}#${k + 1}`;
      cpu[key] = Math.max(0, (s.process?.cpuUtilisation ?? 0) / ctx.cores);
      eventLoop = Math.max(eventLoop ?? 0, s.process?.eventLoopUtilisation ?? 0);
      overflowActive ||= s.clusters.some((cl) => cl.overflowActive);
      const k0 = s.counters;
      // A backup's orders are its primaries' overflow, which they count in flight until it answers.
      if (k0 && role !== "backup")
        inFlight += Math.max(0, k0.accepted - k0.delivered - k0.failed - k0.rejected);
      // Several servers share the same providers (one farm): the first server's view is reported.
      for (const p of s.providers) {
        if (seenProviders.has(p.providerId)) continue;
        seenProviders.add(p.providerId);
        providers.push({
          id: p.providerId,
          state: healthName(p.state),
          weight: Math.max(0, p.weight),
          outstanding: p.outstanding,
        });
      }
    });
  }
  return {
    t: (w.index * ctx.windowMs) / 1000,
    throughput: c.delivered / sec,
    offeredRate: (c.started + c.dropped) / sec,
    p50: h.percentile(50),
    p95: h.percentile(95),
    p99: h.percentile(99),
    max: h.max,
    submitted: c.started,
    delivered: c.delivered,
    errors: c.failed + c.unfinished + c.interrupted,
    rejected: c.rejected,
    dropped: c.dropped,
    retries: delta(snaps, previous, (s) => s.counters?.retries ?? 0),
    routeSwitches: delta(snaps, previous, (s) => s.counters?.routeSwitches ?? 0),
    queueDepth,
    inFlight,
    cpu,
    overflowActive,
    providers,
    ...(eventLoop !== undefined ? { eventLoop } : {}),
  };
}
