import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPool } from "../../load/pool.ts";
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
  it("a 1 s stall at 100/s raises P99 to near 1 s (no coordinated omission)", async () => {
    server.setLatency(1);
    const run = runPool({
      spec: spec({ executor: "constant-arrival-rate", rate: 100, duration: "3s", maxVUs: 1000 }),
      workers: 0,
    });
    // Freeze every answer due in [1 s, 2 s) after the start until 2 s.
    const start = await run.started;
    server.stall(start + 1000, start + 2000);
    const result = await run.done;
    expect(result.counts.started).toBe(300);
    expect(result.counts.dropped).toBe(0);
    expect(result.counts.delivered).toBe(300);
    // About 100 of the 300 requests waited for the end of the stall, from ~1000 ms down to ~0 ms; a driver
    // with coordinated omission would have recorded one slow sample and sent the rest late.
    // Bounds above are loose: on a busy shared machine timers fire late, and that lateness is (rightly) measured.
    const h = result.overall;
    expect(h.percentile(99)).toBeGreaterThan(900);
    expect(h.percentile(99)).toBeLessThan(2500);
    expect(h.fractionAbove(500)).toBeGreaterThan(0.1);
    expect(h.fractionAbove(500)).toBeLessThan(0.5);
    // The stall shows in the window series too: the windows around 2 s deliver the backlog.
    const slow = result.windows.filter((w) => w.histogram.max > 500);
    expect(slow.length).toBeGreaterThan(0);
    server.stall(0, 0);
  });

  it("counts iterations it cannot start as dropped and never sends them late", async () => {
    server.setLatency(200);
    const run = runPool({
      spec: spec({
        executor: "constant-arrival-rate",
        rate: 100,
        duration: "2s",
        preAllocatedVUs: 5,
        maxVUs: 5,
      }),
      workers: 0,
    });
    const result = await run.done;
    // 5 slots of 200 ms serve about 25/s of the 100/s offered.
    expect(result.counts.started + result.counts.dropped).toBe(200);
    expect(result.counts.dropped).toBeGreaterThan(120);
    expect(result.counts.started).toBeGreaterThan(30);
    expect(result.counts.delivered).toBe(result.counts.started);
    // Had the driver queued them instead, the last ones would have waited seconds.
    expect(result.overall.max).toBeLessThan(1000);
    const perWindow = result.windows.reduce((s, w) => s + w.counts.dropped, 0);
    expect(perWindow).toBe(result.counts.dropped);
  });

  it("splits a run across worker threads and merges their windows and histograms", async () => {
    server.setLatency(2);
    const received = server.received();
    const run = runPool({
      spec: spec({
        executor: "ramping-arrival-rate",
        startRate: 100,
        stages: [{ target: 300, duration: "1s" }],
      }),
      workers: 2,
    });
    const result = await run.done;
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
        workers: 0,
      });
      const result = await run.done;
      expect(result.counts.delivered).toBe(100);
      expect(server.received() - before).toBe(50);
      expect(second.received()).toBe(50);
    } finally {
      await second.close();
    }
  });

  it("runs closed-model VUs back to back", async () => {
    server.setLatency(20);
    const run = runPool({ spec: spec({ executor: "constant-vus", vus: 4, duration: "1s" }), workers: 0 });
    const result = await run.done;
    // 4 VUs x ~1000 ms / ~20 ms per iteration.
    expect(result.counts.started).toBeGreaterThan(40);
    expect(result.counts.started).toBeLessThanOrEqual(4 * 52);
    expect(result.counts.delivered).toBe(result.counts.started);
    expect(result.counts.dropped).toBe(0);
  });
});
