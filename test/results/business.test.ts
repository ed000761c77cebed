// The business rows counted from hand-built orders: goodput leaves late deliveries out, interventions count
// FAILED, REVIEW and incidents that outlived their allowance (not DENIED), complaint risk counts failures,
// error denials and impatient waits, and per-day figures scale with the orders a day.
import { describe, expect, it } from "vitest";
import {
  complaintRiskOf,
  interventionsOf,
  perDay,
  type ServiceObjective,
  unrecoveredByWindow,
} from "../../results/business.ts";
import { validateScenario } from "../../scenarios/define.ts";
import { perDayBasis } from "../../scenarios/objective.ts";
import type { ScenarioDefinition } from "../../scenarios/schema.ts";
import type { OrderView } from "../../server/core/types.ts";
import { SimBusiness } from "../../simulator/business-rows.ts";

const objective: ServiceObjective = {
  latencyMs: 2000,
  patienceMs: { standard: 30_000, vip: 10_000 },
  incidentRecoveryMs: 5000,
};
const day = { ordersPerDay: 1000, basis: "test" };

/** A terminal order as the core reports it (only the fields the rows read matter). */
function order(state: string, submittedAt: number, finishedAt: number, extra: Partial<OrderView> = {}) {
  return {
    orderId: `o${submittedAt}-${finishedAt}`,
    sku: "sku-1",
    tier: "standard",
    state,
    lane: "default",
    cluster: "primary",
    providerId: null,
    attempts: 1,
    cardId: null,
    cardCode: null,
    submittedAt,
    finishedAt,
    timings: {},
    rejectReason: null,
    failureReason: null,
    fromCache: false,
    canary: false,
    ...extra,
  } as unknown as OrderView;
}

describe("goodput", () => {
  it("counts only deliveries within the latency objective, in the window the order was submitted in", () => {
    const b = new SimBusiness(objective, 1000);
    // Window 0: one on time (1.5 s), one late (2.5 s), both delivered in window 2.
    b.observe(order("DELIVERED", 100, 1600), 1600 - 100);
    b.closeWindow();
    b.observe(order("DELIVERED", 200, 2700), 2700 - 200);
    b.closeWindow();
    // Window 2: one delivered at once, exactly at the objective.
    b.observe(order("DELIVERED", 2100, 4100), 4100 - 2100);
    b.closeWindow();
    const rows = b.finish({ endMs: 3000, trafficMs: 3000, submitted: 3, unfinished: 0 }, day);
    expect(rows.windows.map((w) => w.onTime)).toEqual([1, 0, 1]);
    expect(rows.total.onTime).toBe(2);
    expect(rows.point.goodputPeak).toBe(1);
    expect(rows.point.goodputMean).toBeCloseTo(2 / 3, 4);
  });

  it("a backlog drained in one window does not read as capacity: goodput never exceeds the offered load", () => {
    const b = new SimBusiness(objective, 1000);
    for (let w = 0; w < 10; w++) b.closeWindow();
    // 150 orders/s offered from 7.5 s; all 300 wait and are delivered together at 9.5 s, within 2 s. Counted by
    // delivery they would make a 300/s window; by submission, no window exceeds the 150 offered in it.
    const offered = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 300; i++) {
      const at = 7500 + Math.floor(i * (2000 / 300));
      offered[Math.floor(at / 1000)]! += 1;
      b.observe(order("DELIVERED", at, 9500), 9500 - at);
    }
    const rows = b.finish({ endMs: 10_000, trafficMs: 10_000, submitted: 300, unfinished: 0 }, day);
    expect(rows.total.onTime).toBe(300);
    expect(rows.windows.map((w) => w.onTime)).toEqual(offered);
    expect(rows.point.goodputPeak).toBe(150);
  });
});

describe("manual interventions and complaint risk", () => {
  it("count FAILED, REVIEW, stuck and unrecovered incidents as interventions; DENIED only as a complaint when by error", () => {
    const b = new SimBusiness(objective, 1000);
    const listen = b.listener("primary");
    const incident = (id: string, at: number, closedAt: number | null) =>
      listen({
        kind: "incident",
        at,
        incident: {
          id,
          providerId: "p1",
          openedAt: at,
          closedAt,
          ordersDiverted: 0,
          ordersRetried: 0,
          timeline: [],
          outcome: null,
        },
      });
    b.observe(order("FAILED", 0, 300, { failureReason: "retries exhausted" }), 300 - 0);
    b.observe(order("REVIEW", 0, 400), 400 - 0);
    b.observe(order("DENIED", 0, 500, { failureReason: "risk: denied (score 0.97)" }), 500 - 0);
    b.observe(order("DENIED", 0, 600, { failureReason: "risk service timed out (fail-closed)" }), 600 - 0);
    b.observe(order("REJECTED", 0, 1, { rejectReason: "queue full" }), 1 - 0);
    incident("i1", 100, null); // opened at 0.1 s and never closed: past 5 s at 5.1 s
    incident("i2", 200, null);
    incident("i2", 3000, 3000); // recovered after 2.8 s: on its own
    incident("i3", 9000, null); // its 5 s would run out after the run: not counted
    b.closeWindow();
    for (let w = 1; w < 10; w++) b.closeWindow();
    const rows = b.finish({ endMs: 10_000, trafficMs: 10_000, submitted: 6, unfinished: 1 }, day);
    const t = rows.total;
    expect(t).toMatchObject({ failed: 1, review: 1, deniedByError: 1, rejected: 1, unrecoveredIncidents: 1 });
    expect(interventionsOf(t)).toBe(4); // FAILED + REVIEW + 1 unfinished (stuck) + incident i1
    expect(complaintRiskOf(t)).toBe(4); // FAILED + REJECTED + DENIED by error + 1 unfinished
    expect(rows.windows[5]!.unrecoveredIncidents).toBe(1);
    expect(rows.windows[9]!.unfinished).toBe(1);
  });

  it("counts deliveries slower than the tier's patience as complaint risk (VIPs are less patient)", () => {
    const b = new SimBusiness(objective, 1000);
    b.observe(order("DELIVERED", 0, 12_000), 12_000 - 0); // standard, 12 s: within 30 s
    b.observe(order("DELIVERED", 0, 12_000, { tier: "vip" }), 12_000 - 0); // VIP, 12 s: beyond 10 s
    b.observe(order("DELIVERED", 0, 31_000), 31_000 - 0); // standard, 31 s: beyond 30 s
    b.closeWindow();
    const rows = b.finish({ endMs: 1000, trafficMs: 1000, submitted: 3, unfinished: 0 }, day);
    expect(rows.total.late).toBe(2);
    expect(rows.point.complaintRisk).toBe(2);
  });

  it("places an incident in the window its allowance ran out in", () => {
    expect(
      unrecoveredByWindow(
        [
          { openedMs: 500, closedMs: 7000 },
          { openedMs: 0, closedMs: 4000 },
        ],
        5000,
        1000,
        10_000,
      ),
    ).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
  });
});

describe("per-day figures", () => {
  const base: ScenarioDefinition = {
    name: "per-day",
    traffic: { executor: "constant-arrival-rate", rate: 100, duration: "60s" },
    providers: [{ id: "p1", latency: { p50: "50ms", p99: "200ms" }, capacity: 100 }],
    cluster: { primary: { workers: 10 }, backup: { workers: 10 } },
  };

  it("scale a run's counts by their share of its orders times the orders a day", () => {
    expect(perDay(3, 6000, 8_640_000)).toBe(4320);
    expect(perDay(3, 0, 8_640_000)).toBe(0);
  });

  it("use the mean rate x 24 h without a demand history", () => {
    const s = validateScenario(base);
    expect(perDayBasis(s, s.traffic).ordersPerDay).toBe(8_640_000);
  });

  it("use the demand history's orders a day, scaled for a side with its own traffic", () => {
    const s = validateScenario({
      ...base,
      demandHistory: { kind: "generated", days: 2, peakPerMinute: 50, troughPerMinute: 50, noise: 0 },
      compare: {
        overrides: {
          baseline: { traffic: { executor: "constant-arrival-rate", rate: 25, duration: "60s" } },
        },
      },
    });
    expect(perDayBasis(s, s.traffic).ordersPerDay).toBe(50 * 1440);
    const before = s.compare.overrides.baseline!.traffic!;
    expect(perDayBasis(s, before).ordersPerDay).toBe(50 * 1440 * 0.25);
  });
});
