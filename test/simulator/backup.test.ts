// cluster.backupDeployed: a primary with no backup behind it (a local stack's one `rushhour serve`) never
// overflows, whatever the configuration's routing says; with the backup it does at the same load. twin
// simulates a local stack's deployment so (workflows/twin.ts).
import { describe, expect, it } from "vitest";
import { validateScenario, withBackupDeployed } from "../../scenarios/define.ts";
import { presetConfig } from "../../server/core/config.ts";
import { simulate } from "../../simulator/runner.ts";
import { constantRateScenario } from "../../workflows/steady.ts";

// 300 orders/s on 10 primary slots of ~50 ms calls: the primary's slots are full, so adaptive overflows.
const busy = validateScenario({
  name: "backup-deployed",
  traffic: { executor: "constant-arrival-rate", rate: 300, duration: "5s" },
  providers: [{ id: "p", latency: { p50: 50, p99: 120 }, capacity: 1000 }],
  cluster: { primary: { workers: 10 }, backup: { workers: 40 } },
  compare: { baseline: "legacy", candidate: "adaptive" },
  drain: "10s",
});

function overflowed(backupDeployed: boolean) {
  const scenario = withBackupDeployed(busy, backupDeployed);
  const [r] = simulate(scenario, {
    arms: [{ name: "adaptive", role: "single", config: presetConfig("adaptive")! }],
    replications: 1,
  });
  return {
    switches: r!.counters.routeSwitches,
    windowsOn: r!.series.filter((w) => w.overflowActive).length,
    backupCpu: Math.max(...r!.series.map((w) => w.cpu.backup ?? 0)),
    delivered: r!.counters.delivered,
  };
}

describe("a deployment without a backup", () => {
  it("overflows with the backup and never without it", () => {
    expect(busy.cluster.backupDeployed).toBe(true);
    expect(withBackupDeployed(busy, false).cluster.backupDeployed).toBe(false);
    // A scenario reduced to another rate keeps its traffic (not the definition's, validated again).
    const slower = withBackupDeployed(constantRateScenario(busy, 50, 2000), false);
    expect(slower.traffic).toEqual(constantRateScenario(busy, 50, 2000).traffic);
    const withBackup = overflowed(true);
    expect(withBackup.switches).toBeGreaterThan(0);
    expect(withBackup.windowsOn).toBeGreaterThan(0);
    const alone = overflowed(false);
    expect(alone.switches).toBe(0);
    expect(alone.windowsOn).toBe(0);
    expect(alone.backupCpu).toBe(0);
    // Nothing is lost: the primary serves every order itself, only later.
    expect(alone.delivered).toBeGreaterThan(0);
  });
});
