// A short live run end to end: `rushhour load` starts a provider farm and `rushhour serve` on
// 127.0.0.1, drives 240 orders, injects a provider fault and writes a RunResult.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadCommand } from "../../cli/commands/load.ts";
import { startLocalStack } from "../../load/local-stack.ts";
import { readRunResult } from "../../results/run-result.ts";
import { type DispatchConfig, PRESETS } from "../../server/core/config.ts";

const out = mkdtempSync(join(tmpdir(), "rushhour-load-test-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("rushhour load against a local stack", () => {
  it("writes a RunResult with every series filled and the injected fault visible", {
    timeout: 300_000,
  }, async () => {
    const scenario = new URL("./fixtures/live-small.ts", import.meta.url).pathname;
    const code = await loadCommand.run([scenario, "--config", "adaptive", "--out", out]);
    expect(readdirSync(out)).toEqual(["live-small.adaptive.json"]);
    const r = readRunResult(join(out, "live-small.adaptive.json"));
    expect(code).toBe(r.thresholds.every((t) => t.pass) ? 0 : 1);
    expect(r.kind).toBe("load");
    expect(r.config).toMatchObject({ name: "adaptive", role: "single" });
    // The server it started was sized like the simulation of this scenario: 20 worker slots, not the preset's.
    const lanes = (r.config.definition as DispatchConfig).lanes;
    expect(lanes.default.workers + lanes.vip.workers).toBe(20);
    expect(PRESETS.adaptive.lanes.default.workers + PRESETS.adaptive.lanes.vip.workers).not.toBe(20);
    expect(r.counters.submitted + r.counters.dropped).toBe(240);
    expect(r.counters.delivered).toBeGreaterThan(0);
    expect(r.counters.duplicateCards).toBe(0);
    expect(r.thresholds.find((t) => t.metric === "duplicate_cards")?.pass).toBe(true);
    expect(r.series.length).toBeGreaterThanOrEqual(8);
    for (const w of r.series.slice(0, 8)) {
      expect(w.providers.map((p) => p.id).sort()).toEqual(["p1", "p2"]);
      // The server served 30 orders/s through all 8 windows, so each window's CPU share (of the
      // machine's cores) and event-loop utilisation are above 0; both are shares, so at most 1.
      expect(w.cpu.primary).toBeGreaterThan(0);
      expect(w.cpu.primary).toBeLessThanOrEqual(1);
      expect(w.eventLoop).toBeGreaterThan(0);
      expect(w.eventLoop).toBeLessThanOrEqual(1);
      expect(Object.keys(w.queueDepth).length).toBeGreaterThan(0);
    }
    expect(r.series.reduce((s, w) => s + w.submitted, 0)).toBe(r.counters.submitted);
    // The business rows are filled live too: on-time orders per window add up to the run's.
    expect(r.series.reduce((s, w) => s + (w.onTime ?? Number.NaN), 0)).toBe(r.counters.onTime);
    expect(r.summary.goodputPeak?.mean).toBeGreaterThan(0);
    expect(r.business?.ordersPerDay).toBeGreaterThan(0);
    // p1 fails every call from 2 s: the adaptive configuration takes it out of service.
    const p1 = r.series.map((w) => ({ t: w.t, state: w.providers.find((p) => p.id === "p1")?.state }));
    expect(p1[0]?.state).toBe("HEALTHY");
    const hit = p1.filter((x) => x.state !== "HEALTHY");
    expect(hit.length).toBeGreaterThan(0);
    expect(hit[0]?.t).toBeGreaterThanOrEqual(2);
    expect(r.events.find((e) => e.kind === "fault")).toMatchObject({
      t: 2,
      providerId: "p1",
      to: "error",
      endT: 6,
    });
    expect(r.events.some((e) => e.kind === "health" && e.providerId === "p1")).toBe(true);
  });
});

describe("rushhour load --target", () => {
  it("drives running servers, applying baseline then candidate through the Admin API", {
    timeout: 300_000,
  }, async () => {
    const scenario = new URL("./fixtures/live-small.ts", import.meta.url).pathname;
    const stack = await startLocalStack({
      providers: [
        { id: "p1", p50Ms: 2, p99Ms: 10, capacity: 50, errorRate: 0 },
        { id: "p2", p50Ms: 2, p99Ms: 10, capacity: 50, errorRate: 0 },
      ],
      config: "adaptive",
      skuCount: 5,
      seed: 1,
    });
    const dir = join(out, "target");
    try {
      const args = [scenario, "--target", stack.target, `--admin-token=${stack.adminToken}`, "--out", dir];
      await loadCommand.run([...args, "--duration-scale", "0.25"]);
    } finally {
      await stack.stop();
    }
    expect(readdirSync(dir).sort()).toEqual(["live-small.adaptive.json", "live-small.legacy.json"]);
    const legacy = readRunResult(join(dir, "live-small.legacy.json"));
    const adaptive = readRunResult(join(dir, "live-small.adaptive.json"));
    expect([legacy.config.role, adaptive.config.role]).toEqual(["baseline", "candidate"]);
    // 30/s for 8 s x 0.25.
    expect(legacy.counters.submitted + legacy.counters.dropped).toBe(60);
    expect(adaptive.counters.delivered).toBeGreaterThan(0);
    expect(legacy.events.find((e) => e.kind === "fault")).toMatchObject({ t: 0.5, endT: 1.5 });
    expect(legacy.series[0]?.providers.length).toBe(2);
  });
});
