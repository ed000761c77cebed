// The risk and notification stages in simulation, on scaled-down copies of the risk-outage and
// slow-notify scenarios (shorter stages and faults; rates, capacities and service models as written):
// issue 18's first two acceptance items, judged per replication (seeds 18, 19, 20 / 19, 20) against
// the same scenario without the fault.
import { describe, expect, it } from "vitest";
import { validateScenario } from "../../scenarios/define.ts";
import riskOutage from "../../scenarios/risk-outage.ts";
import type { ScenarioDefinition } from "../../scenarios/schema.ts";
import slowNotify from "../../scenarios/slow-notify.ts";
import { presetConfig } from "../../server/core/config.ts";
import type { OrderView } from "../../server/core/types.ts";
import { runReplication } from "../../simulator/replication.ts";
import { simulate } from "../../simulator/runner.ts";

const legacy = { name: "legacy", role: "baseline" as const, config: presetConfig("legacy")! };
const adaptive = { name: "adaptive", role: "candidate" as const, config: presetConfig("adaptive")! };

const p99s = (definition: ScenarioDefinition, replications: number) =>
  simulate(validateScenario(definition), { arms: [legacy, adaptive], replications }).map((r) => ({
    p99: r.perReplication.map((x) => x.summary.p99),
    throughput: r.perReplication.map((x) => x.summary.throughputMean),
    counters: r.counters,
  }));

describe("risk-outage", () => {
  it("legacy's P99 rises far above its fault-free run; adaptive's stays near its own", () => {
    const short: ScenarioDefinition = {
      ...riskOutage,
      traffic: {
        executor: "ramping-arrival-rate",
        startRate: 100,
        stages: [
          { target: 300, duration: "5s" },
          { target: 300, duration: "35s" },
        ],
      },
      faults: [{ at: "10s", provider: "risk", kind: "timeout", duration: "15s" }],
      drain: "20s",
    };
    const [legacyOut, adaptiveOut] = p99s(short, 3);
    const [legacyFree, adaptiveFree] = p99s({ ...short, faults: [] }, 3);
    for (let r = 0; r < 3; r++) {
      // Measured: legacy ~18.7 s against ~1 s fault-free (3 s checks in the worker, 5 s retries);
      // adaptive ~333 ms against ~270 ms (300 ms checks until the service is isolated, then fail-open).
      expect(legacyOut!.p99[r]!).toBeGreaterThan(10 * legacyFree!.p99[r]!);
      expect(adaptiveOut!.p99[r]!).toBeLessThan(1.5 * adaptiveFree!.p99[r]!);
      expect(adaptiveOut!.p99[r]!).toBeLessThan(2000);
    }
    // Adaptive's fail-open let the outage's orders through: none failed, none left waiting.
    expect(adaptiveOut!.counters).toMatchObject({ failed: 0, unfinished: 0, duplicateCards: 0 });
    expect(adaptiveOut!.counters.delivered).toBeGreaterThanOrEqual(adaptiveFree!.counters.delivered);
  }, 120_000);
});

describe("slow-notify", () => {
  it("at 2 s per notification legacy's throughput falls (workers held), adaptive's does not", () => {
    const short: ScenarioDefinition = {
      ...slowNotify,
      traffic: {
        executor: "ramping-arrival-rate",
        startRate: 100,
        stages: [
          { target: 300, duration: "5s" },
          { target: 300, duration: "25s" },
        ],
      },
      drain: "10s",
    };
    const fast = { ...short, notification: { latency: { p50: "80ms", p99: "800ms" }, capacity: 2000 } };
    const [legacySlow, adaptiveSlow] = p99s(short, 2);
    const [legacyFast, adaptiveFast] = p99s(fast, 2);
    for (let r = 0; r < 2; r++) {
      // Measured: legacy ~122 orders/s against ~280 (200 workers held ~2.1 s each pass at most ~95/s
      // once the queue has built up); adaptive's outbox leaves its throughput exactly as it was.
      expect(legacySlow!.throughput[r]!).toBeLessThan(0.6 * legacyFast!.throughput[r]!);
      expect(adaptiveSlow!.throughput[r]!).toBeGreaterThanOrEqual(0.98 * adaptiveFast!.throughput[r]!);
    }
    expect(adaptiveSlow!.counters.unfinished).toBe(0);
    // The stage timings say why: every legacy delivery waited its 2 s send (and its event loop's turn to
    // read the answer, well under a millisecond an order at 300/s); adaptive's never did.
    const delivered = legacySlow!.counters.delivered;
    expect(legacySlow!.counters.notifyMs).toBeGreaterThanOrEqual(2000 * delivered);
    expect(legacySlow!.counters.notifyMs).toBeLessThan(2001 * delivered);
    expect(adaptiveSlow!.counters.notifyMs).toBe(0);
    expect(adaptiveSlow!.counters.riskMs).toBeGreaterThan(0);
  }, 120_000);
});

describe("cards of DENIED and REVIEW orders in a simulated run", () => {
  const outage: ScenarioDefinition = {
    ...riskOutage,
    traffic: { executor: "constant-arrival-rate", rate: 200, duration: "20s" },
    // The most popular SKU costs 200.00 (over adaptive's 100.00 fail-open limit), the rest 10.00.
    skus: { count: 100, zipfExponent: 1, priceCents: [20_000, 1000] },
    risk: { latency: { p50: "15ms", p99: "120ms" }, capacity: 400, denyRate: 0.05, reviewRate: 0.02 },
    faults: [{ at: "5s", provider: "risk", kind: "timeout", duration: "10s" }],
    drain: "30s",
  };

  it("DENIED releases the card, REVIEW holds it: at the end the store holds exactly the REVIEW orders' cards", () => {
    const scenario = validateScenario(outage);
    const views: OrderView[] = [];
    // Legacy has no prewarm cache, so every held card belongs to an order.
    const out = runReplication({
      scenario,
      traffic: scenario.traffic,
      cluster: scenario.cluster,
      config: legacy.config,
      seed: 5,
      detailed: false,
      onTerminal: (v) => views.push({ ...v }),
    });
    const denied = views.filter((v) => v.state === "DENIED");
    const review = views.filter((v) => v.state === "REVIEW");
    expect(denied.length).toBeGreaterThan(50);
    expect(review.length).toBeGreaterThan(20);
    expect(denied.every((v) => v.cardId === null)).toBe(true);
    expect(review.every((v) => v.cardId !== null)).toBe(true);
    expect(out.counters).toMatchObject({ denied: denied.length, review: review.length, unfinished: 0 });
    expect(out.cardsHeld).toBe(review.length);
    expect(out.counters.duplicateCards).toBe(0);
  });

  it("adaptive's fail-open passes the cheap SKUs during the outage and holds the expensive one for review", () => {
    const scenario = validateScenario({ ...outage, risk: { ...outage.risk!, denyRate: 0, reviewRate: 0 } });
    const views: OrderView[] = [];
    runReplication({
      scenario,
      traffic: scenario.traffic,
      cluster: scenario.cluster,
      config: adaptive.config,
      seed: 5,
      detailed: false,
      onTerminal: (v) => views.push({ ...v }),
    });
    const review = views.filter((v) => v.state === "REVIEW");
    expect(review.length).toBeGreaterThan(50);
    expect(review.every((v) => v.sku === "sku-0001")).toBe(true);
    // Only from the outage on (the service stays isolated until a probe succeeds, after the fault).
    expect(review.every((v) => v.submittedAt >= 5000)).toBe(true);
    expect(views.filter((v) => v.state !== "REVIEW").every((v) => v.state === "DELIVERED")).toBe(true);
  });
});
