// A local stack is the deployment its scenario describes: with cluster.backupDeployed (the default) it starts
// `serve --role backup` on the primary's store and the primary overflows to it, as the simulated primary
// does; without, one server and no overflow. Real processes over gRPC on 127.0.0.1, a few seconds of load.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { startLocalStack } from "../../load/local-stack.ts";
import { farmProviders } from "../../load/provider-models.ts";
import type { RunResult } from "../../results/run-result.ts";
import { loadScenario, withBackupDeployed } from "../../scenarios/define.ts";
import { resolveArm } from "../../workflows/arms.ts";
import { ranWithBackup, runLive } from "../../workflows/live.ts";

const OVERFLOW = fileURLToPath(new URL("./fixtures/overflow-tiny.ts", import.meta.url));

async function liveRun(backupDeployed: boolean): Promise<RunResult> {
  const scenario = withBackupDeployed(await loadScenario(OVERFLOW), backupDeployed);
  const arm = resolveArm(scenario);
  const { results } = await runLive(scenario, { arm: { ...arm, role: "single" }, command: ["test"] });
  return results[0]!;
}

describe("a local stack's backup", () => {
  it("stands behind the primary when the scenario deploys one and takes its overflow; absent, none", async () => {
    const withBackup = await liveRun(true);
    expect(ranWithBackup(withBackup)).toBe(true);
    expect(withBackup.topology?.map((p) => p.name)).toEqual(["primary-1", "backup", "farm", "store"]);
    // The 10-slot primary overflowed, and every order ended delivered (the backup sold from the same store).
    expect(withBackup.series.some((w) => w.overflowActive)).toBe(true);
    expect(withBackup.counters.delivered).toBe(withBackup.counters.submitted);
    expect(withBackup.counters.duplicateCards).toBe(0);
    // The driver samples the backup beside the primary: the series has its CPU, as a simulated run has.
    expect(withBackup.series.every((w) => w.cpu.backup !== undefined && w.cpu.primary !== undefined)).toBe(
      true,
    );
    expect(Math.max(...withBackup.series.map((w) => w.cpu.backup!))).toBeGreaterThan(0);

    // The same scenario deployed without one: one server, which never overflows and, slot-bound at about
    // 20 orders/s against 80/s, has not finished its backlog when the drain ends.
    const alone = await liveRun(false);
    expect(ranWithBackup(alone)).toBe(false);
    expect(alone.topology?.map((p) => p.name)).toEqual(["primary-1", "farm", "store"]);
    expect(alone.series.every((w) => !w.overflowActive)).toBe(true);
    expect(alone.series.every((w) => w.cpu.backup === undefined)).toBe(true);
    expect(alone.counters.submitted).toBe(withBackup.counters.submitted);
    expect(alone.counters.delivered).toBeLessThan(withBackup.counters.delivered);
  }, 240_000);

  it("cannot share a memory store: refused before anything starts", async () => {
    const scenario = await loadScenario(OVERFLOW);
    await expect(
      startLocalStack({
        providers: farmProviders(scenario.providers),
        config: "adaptive",
        backupConfig: "adaptive",
        skuCount: 3,
        seed: 1,
        store: "memory:",
      }),
    ).rejects.toThrow(/a backup server shares the primary's store, and memory: cannot be shared/);
  });
});
