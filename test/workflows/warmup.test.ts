// The local stack's warm-up (load/twin --warmup): a real stack (provider farm and rushhour serve on
// 127.0.0.1, over gRPC) runs unmeasured traffic first, and the measured run still holds exactly the
// scenario's own orders. Bad uses are usage errors before anything starts.
import { fileURLToPath } from "node:url";
import { describe, expect, it, vi } from "vitest";
import { main } from "../../cli/main.ts";
import { loadScenario } from "../../scenarios/define.ts";
import { planFor } from "../../traffic/executors/index.ts";
import type { OpenPlan } from "../../traffic/executors/types.ts";
import { resolveArm } from "../../workflows/arms.ts";
import { LiveScenarioError, runLive } from "../../workflows/live.ts";

const TINY = fileURLToPath(new URL("./fixtures/twin-tiny.ts", import.meta.url));

async function run(argv: string[]): Promise<{ code: number; err: string }> {
  const stdout = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  try {
    const code = await main(argv);
    return { code, err: stderr.mock.calls.map((c) => String(c[0])).join("") };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

describe("the local stack's warm-up", () => {
  it("runs before the measured run and leaves its orders out of the result", async () => {
    const scenario = await loadScenario(TINY);
    const arm = resolveArm(scenario);
    const lines: string[] = [];
    const { results } = await runLive(scenario, {
      arm: { ...arm, role: "single" },
      warmupMs: 1000,
      command: ["test"],
      log: (l) => lines.push(l),
    });
    expect(lines.some((l) => /^warming up the stack: 1 s at 20\/s/.test(l))).toBe(true);
    const planned = (planFor(scenario.traffic) as OpenPlan).count;
    expect(results[0]?.counters.submitted).toBe(planned);
  }, 120_000);

  it("refuses a warm-up with running servers, and a bad duration, before sending anything", async () => {
    const scenario = await loadScenario(TINY);
    await expect(
      runLive(scenario, { targets: ["127.0.0.1:1"], warmupMs: 1000, command: ["test"] }),
    ).rejects.toThrow(LiveScenarioError);
    const load = await run(["load", TINY, "--warmup", "5s", "--target", "127.0.0.1:1"]);
    expect(load.code).toBe(2);
    expect(load.err).toMatch(/--warmup warms the local stack/);
    const twin = await run(["twin", TINY, "--warmup", "soon"]);
    expect(twin.code).toBe(2);
    expect(twin.err).toMatch(/--warmup must be a duration/);
    // A scenario with its own topology has no single local stack to warm.
    const chaos = fileURLToPath(new URL("../../scenarios/chaos/chaos-small.ts", import.meta.url));
    const topology = await run(["twin", chaos, "--warmup", "5s"]);
    expect(topology.code).toBe(2);
    expect(topology.err).toMatch(/--warmup warms the local stack: .* runs live on its own topology/);
    const backup = await run(["twin", chaos, "--live-backup", "no"]);
    expect(backup.code).toBe(2);
    expect(backup.err).toMatch(
      /--live-backup: .* runs live on its own topology, whose live.topology.backup says/,
    );
  });
});
