import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enginesCpuMs, runPool } from "../../load/pool.ts";
import type { MixSpec } from "../../load/request-mix.ts";
import { LatencyHistogram } from "../../results/histogram.ts";
import { buckets } from "./buckets.ts";
import { type FixtureServer, startFixtureServer } from "./fixture-server.ts";

const mix: MixSpec = { seed: 7, skuCount: 20, zipfExponent: 1, vipShare: 0.1, keyPrefix: "t" };

let server: FixtureServer;
beforeAll(async () => {
  server = await startFixtureServer();
});
afterAll(async () => {
  await server.close();
});

function spec(executor: Parameters<typeof runPool>[0]["spec"]["executor"]) {
  return { executor, targets: [server.address], windowMs: 500, requestTimeoutMs: 10_000, mix };
}

describe("open-model driver against a real gRPC server", () => {
  it("a server stall at 100/s shows in full in the latencies (no coordinated omission)", async () => {
    server.setLatency(1);
    // The stall is driven by arrivals, not by a clock: the answers to arrivals 100-199 are held until
    // arrival 200 comes in. The driver must keep sending while they are held (open model), or arrival
    // 200 never comes and the test times out.
    const base = server.received();
    server.onReceived((n) => {
      if (n - base === 100) server.hold();
      if (n - base === 200) server.release();
    });
    const run = runPool({
      spec: spec({ executor: "constant-arrival-rate", rate: 100, duration: "3s", maxVUs: 1000 }),
      engines: 1,
    });
    const result = await run.done;
    server.onReceived(null);
    expect(server.held()).toBe(0);
    expect(result.counts.started).toBe(300);
    expect(result.counts.dropped).toBe(0);
    expect(result.counts.delivered).toBe(300);
    // What follows from the schedule, whatever the machine's speed: request k is due at 10k ms and is
    // never sent earlier, so arrival 200 comes at 1990 ms or later, and the held requests k = 100..148
    // were answered after it: each waited at least 1990 - 10k >= 510 ms, measured from when it was due
    // (a driver with coordinated omission would measure from a late send and see none of it). Lateness
    // of the machine only adds to these.
    const h = result.overall;
    expect(h.fractionAbove(500)).toBeGreaterThanOrEqual(49 / 300);
    // The three slowest (k = 100, 101, 102) waited at least 990, 980 and 970 ms: the P99 of 300.
    expect(h.percentile(99)).toBeGreaterThanOrEqual(960);
    // The stall shows in the window series too: the window that delivered the backlog.
    expect(result.windows.some((w) => w.histogram.max > 500)).toBe(true);
  });

  it("counts iterations it cannot start as dropped and never sends them", async () => {
    server.setLatency(0);
    const before = server.received();
    // Every answer waits until the driver has given up on all it could not start: its 5 VUs stay busy
    // for the whole schedule, so exactly 5 of the 200 iterations start, on events, not on timing.
    server.hold();
    let dropped = 0;
    const run = runPool({
      spec: spec({
        executor: "constant-arrival-rate",
        rate: 100,
        duration: "2s",
        preAllocatedVUs: 5,
        maxVUs: 5,
      }),
      engines: 1,
      onWindow: (w) => {
        dropped += w.counts.dropped;
        if (dropped === 195) server.release();
      },
    });
    const result = await run.done;
    expect(result.counts.started).toBe(5);
    expect(result.counts.dropped).toBe(195);
    expect(result.counts.delivered).toBe(5);
    // Dropped means never sent, not sent late: the server saw the 5 that started and nothing else.
    expect(server.received() - before).toBe(5);
    const perWindow = result.windows.reduce((s, w) => s + w.counts.dropped, 0);
    expect(perWindow).toBe(result.counts.dropped);
  });

  it("splits a run across engine processes and merges their windows and histograms", async () => {
    server.setLatency(2);
    const received = server.received();
    const cpuBefore = enginesCpuMs();
    const run = runPool({
      spec: spec({
        executor: "ramping-arrival-rate",
        startRate: 100,
        stages: [{ target: 300, duration: "1s" }],
      }),
      engines: 2,
    });
    const result = await run.done;
    // The engines' CPU counts as the driver's (calibrate's driver cost): two processes that each loaded
    // the TypeScript loader and sent 100 calls used CPU time.
    expect(enginesCpuMs()).toBeGreaterThan(cpuBefore);
    expect(result.counts.started).toBe(200);
    expect(server.received() - received).toBe(200);
    expect(result.counts.delivered).toBe(200);
    expect(result.overall.count).toBe(200);
    const windowed = LatencyHistogram.create();
    for (const w of result.windows) windowed.merge(w.histogram);
    expect(windowed.count).toBe(200);
    expect(buckets(windowed.encode())).toEqual(buckets(result.overall.encode()));
    expect(Object.values(result.byCohort).reduce((s, h) => s + h.count, 0)).toBe(200);
  });

  it("spreads orders evenly across several targets", async () => {
    server.setLatency(1);
    const second = await startFixtureServer({ latencyMs: 1 });
    try {
      const before = server.received();
      const run = runPool({
        spec: {
          ...spec({ executor: "constant-arrival-rate", rate: 100, duration: "1s" }),
          targets: [server.address, second.address],
        },
        engines: 1,
      });
      const result = await run.done;
      expect(result.counts.delivered).toBe(100);
      expect(server.received() - before).toBe(50);
      expect(second.received()).toBe(50);
    } finally {
      await second.close();
    }
  });

  it("runs closed-model VUs back to back, never more in flight than VUs", async () => {
    server.setLatency(0);
    const before = server.received();
    // Answers are held until all 4 VUs wait on one, then sent together: a VU starts its next
    // iteration only on its answer, so 4 arrive again, and never a fifth. After the 1 s run's last
    // window, answers go out at once so the run can end.
    let ended = false;
    let maxInFlight = 0;
    server.hold();
    server.onReceived(() => {
      const inFlight = server.held() + 1; // this arrival is held after the listener returns
      maxInFlight = Math.max(maxInFlight, inFlight);
      if (inFlight === 4 && !ended) {
        setImmediate(() => {
          server.release();
          if (!ended) server.hold();
        });
      }
    });
    const run = runPool({
      spec: spec({ executor: "constant-vus", vus: 4, duration: "1s" }),
      engines: 1,
      onWindow: (w) => {
        if (w.index === 1) {
          ended = true;
          server.release();
        }
      },
    });
    const result = await run.done;
    server.onReceived(null);
    server.release();
    expect(maxInFlight).toBe(4);
    expect(result.counts.started).toBeGreaterThan(4); // each VU ran again after its answer
    expect(result.counts.delivered).toBe(result.counts.started);
    expect(server.received() - before).toBe(result.counts.started);
    expect(result.counts.dropped).toBe(0);
  });
});
