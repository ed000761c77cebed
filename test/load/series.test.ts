import { describe, expect, it } from "vitest";
import { RequestMix } from "../../load/request-mix.ts";
import { buildWindow } from "../../load/series.ts";
import { stockPlan } from "../../load/stock.ts";
import { mergeWindows, zeroCounts } from "../../load/window-stats.ts";
import { GetSnapshotResponse } from "../../proto/gen/rushhour/v1/admin.ts";
import { LatencyHistogram } from "../../results/histogram.ts";
import { validateLive } from "../../scenarios/live.ts";

function snapshot(retries: number, p2State: number, role = "primary") {
  return GetSnapshotResponse.fromPartial({
    role,
    lanes: [
      { lane: 1, cluster: 1, queueDepth: 2 },
      { lane: 2, cluster: 1, queueDepth: 30 },
      { lane: 3, cluster: 2, queueDepth: 4 },
    ],
    providers: [
      { providerId: "p1", state: 1, weight: 1, outstanding: 3 },
      { providerId: "p2", state: p2State, weight: 0, outstanding: 0 },
    ],
    clusters: [{ cluster: 1, load: 0.9, overflowActive: true }],
    counters: { accepted: 100, delivered: 60, failed: 5, rejected: 5, retries, routeSwitches: 1 },
    process: { cpuUtilisation: 1.5, eventLoopUtilisation: 0.7 },
  });
}

describe("buildWindow", () => {
  it("combines the driver's window with the server's snapshot at its end", () => {
    const h = LatencyHistogram.create();
    for (const ms of [10, 20, 30, 1000]) h.record(ms);
    const w = mergeWindows([
      {
        index: 3,
        counts: { ...zeroCounts(), started: 8, dropped: 2, delivered: 4, failed: 1, rejected: 1 },
        latency: h.encode(),
        maxSendLagMs: 0,
        inFlight: 3,
      },
    ]);
    const win = buildWindow(w, [snapshot(7, 3)], [snapshot(4, 1)], { windowMs: 2000, cores: 2 });
    expect(win).toMatchObject({
      t: 6,
      throughput: 2,
      offeredRate: 5,
      submitted: 8,
      delivered: 4,
      errors: 1,
      rejected: 1,
      dropped: 2,
      retries: 3,
      routeSwitches: 0,
      queueDepth: { vip: 2, default: 30, "backup:overflow": 4 },
      inFlight: 30,
      cpu: { primary: 0.75 },
      eventLoop: 0.7,
      overflowActive: true,
      providers: [
        { id: "p1", state: "HEALTHY", weight: 1, outstanding: 3 },
        { id: "p2", state: "ISOLATED", weight: 0, outstanding: 0 },
      ],
    });
    expect(win.max).toBeCloseTo(1000, 0);
  });

  it("reads a backup's CPU beside the primary's, and counts its orders in flight once (on the primary)", () => {
    const w = mergeWindows([{ index: 0, counts: zeroCounts(), latency: "", maxSendLagMs: 0, inFlight: 3 }]);
    const win = buildWindow(w, [snapshot(7, 1), snapshot(2, 1, "backup")], undefined, {
      windowMs: 1000,
      cores: 2,
    });
    // The backup's 30 in flight are the primary's overflow, already among the primary's 30.
    expect(win).toMatchObject({ inFlight: 30, cpu: { primary: 0.75, backup: 0.75 } });
  });

  it("falls back to the driver's own figures without a snapshot", () => {
    const w = mergeWindows([{ index: 0, counts: zeroCounts(), latency: "", maxSendLagMs: 0, inFlight: 5 }]);
    const win = buildWindow(w, undefined, undefined, { windowMs: 1000, cores: 2 });
    expect(win).toMatchObject({ inFlight: 5, providers: [], cpu: {}, p99: 0, retries: 0 });
    expect(win.eventLoop).toBeUndefined();
  });
});

describe("request mix", () => {
  const mix = new RequestMix({ seed: 9, skuCount: 50, zipfExponent: 1.1, vipShare: 0.2, keyPrefix: "k" });

  it("is a pure function of the iteration, so any split across workers sends the same orders", () => {
    const again = new RequestMix({ ...mix.spec });
    const odd = [1, 3, 5, 7].map((i) => again.request(i));
    expect(odd).toEqual([1, 3, 5, 7].map((i) => mix.request(i)));
    expect(mix.request(5).idempotencyKey).toBe("k-5");
  });

  it("follows the Zipf popularity and the VIP share", () => {
    const n = 20_000;
    let top = 0;
    let vip = 0;
    for (let i = 0; i < n; i++) {
      if (mix.rankAt(i) === 1) top++;
      if (mix.isVip(i)) vip++;
    }
    expect(top / n).toBeCloseTo(mix.shares()[0] as number, 1);
    expect(vip / n).toBeCloseTo(0.2, 1);
    expect(mix.shares().reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
  });

  it("stocks every SKU for what the run will order, capped by the scenario's card stock", () => {
    const plan = stockPlan(mix, 1000);
    const demand = new Array(50).fill(0);
    for (let i = 0; i < 1000; i++) demand[mix.rankAt(i) - 1]++;
    for (const [r, cards] of plan.entries()) expect(cards).toBeGreaterThan(demand[r]);
    const capped = stockPlan(mix, 1000, 100);
    expect(capped.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(150);
  });
});

describe("validateLive", () => {
  it("names every bad field of the live block", () => {
    expect(
      validateLive({ maxVUs: 0, requestTimeout: "soon", abortOnFail: "yes", workers: 100, cardStock: 1.5 }),
    ).toEqual([
      "live.cardStock: must be an integer",
      "live.maxVUs: must be >= 1, got 0",
      'live.requestTimeout: expected a duration like "30s", "2m", "1h", "500ms" or a number of milliseconds, got "soon"',
      "live.workers: must be in [0, 64], got 100",
      'live.abortOnFail: must be true, false or a list of metric names (e.g. ["latency", "errors"])',
    ]);
  });
});
