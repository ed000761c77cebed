// The CI-sized chaos run end to end: `rushhour load scenarios/chaos/chaos-small.ts` starts 2 primaries and
// a backup on a throwaway PostgreSQL with the farm apart, kills primary-2 (-9) and restarts it, blackholes
// p2, pauses the database and kills and restarts the farm; the audit afterwards must be clean.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadCommand } from "../../cli/commands/load.ts";
import { judgeAudit } from "../../load/audit.ts";
import { readRunResult } from "../../results/run-result.ts";

const out = mkdtempSync(join(tmpdir(), "rushhour-chaos-test-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("chaos on a shared PostgreSQL store", () => {
  it("kills, pauses and restarts, then audits: no card twice, no acknowledged order lost", {
    timeout: 400_000,
  }, async () => {
    const scenario = new URL("../../scenarios/chaos/chaos-small.ts", import.meta.url).pathname;
    const code = await loadCommand.run([scenario, "--config", "adaptive", "--out", out]);
    expect(readdirSync(out)).toEqual(["chaos-small.adaptive.json"]);
    const r = readRunResult(join(out, "chaos-small.adaptive.json"));

    expect(r.chaos?.map((c) => [c.action, c.target, c.outcome])).toEqual([
      ["kill-instance", "primary-2", "ok"],
      ["pause-db", "postgres", "ok"],
      ["kill-farm", "farm", "ok"],
      ["kill-instance", "backup", "ok"],
    ]);
    // Every process with a restart came back, after it went down; the backup stayed down (until the audit).
    for (const c of r.chaos?.slice(0, 3) ?? []) expect(c.recoveredT).toBeGreaterThan(c.t);
    expect(r.chaos?.[3]?.recoveredT).toBeUndefined();
    expect(r.events.filter((e) => e.kind === "chaos")).toHaveLength(4);
    expect(r.topology?.map((m) => m.name)).toEqual(["primary-1", "primary-2", "backup", "farm", "store"]);

    const audit = r.audit;
    expect(audit).toBeDefined();
    expect(audit?.problems).toEqual([]);
    expect(audit?.pass).toBe(true);
    expect(audit?.duplicateCards).toBe(0);
    expect(audit?.nonTerminalOrders).toBe(0);
    expect(audit?.failedHoldingCards).toBe(0);
    // Orders reached the store through both primaries, including the one that was killed.
    expect(audit?.totalOrders).toBeGreaterThan(300);
    expect(r.counters.delivered).toBeGreaterThan(0);
    expect(r.counters.duplicateCards).toBe(0);
    expect(r.thresholds.find((t) => t.metric === "audit")?.pass).toBe(true);
    // Orders sent to primary-2 while it was down failed over to primary-1 instead of failing.
    const grpcErrors = r.events.filter((e) => e.kind === "note" && e.message.startsWith("gRPC errors"));
    expect(grpcErrors.map((e) => e.message).join("\n")).not.toContain("UNAVAILABLE");
    expect(code).toBe(r.thresholds.every((t) => t.pass) ? 0 : 1);
  });
});

describe("judgeAudit", () => {
  const clean = {
    duplicateCards: 0,
    nonTerminalOrders: 0,
    failedHoldingCards: 0,
    deliveredWithoutCard: 0,
    totalOrders: 10,
    totalCards: 20,
  };

  it("passes a clean store", () => {
    expect(judgeAudit(clean, 1.5)).toMatchObject({ pass: true, problems: [], drainSeconds: 1.5 });
  });

  it("names every kind of damage", () => {
    const j = judgeAudit(
      { ...clean, duplicateCards: 2, nonTerminalOrders: 3, failedHoldingCards: 1, deliveredWithoutCard: 4 },
      0,
    );
    expect(j.pass).toBe(false);
    expect(j.problems).toEqual([
      "2 cards given to more than one order",
      "3 acknowledged orders neither DELIVERED nor FAILED after recovery",
      "1 FAILED orders still hold a card",
      "4 DELIVERED orders without their card marked delivered",
    ]);
  });
});
