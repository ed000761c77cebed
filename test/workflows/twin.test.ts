// `rushhour calibrate` and `rushhour twin` end to end on a tiny scenario: a real local stack (provider farm
// and rushhour serve on 127.0.0.1, over gRPC), a few seconds of load. One stack serves both commands
// (--target) so the test pays the start-up once. The figures are not asserted (CI machines are noisy):
// that the profile is measured, that the comparison is computed, and that the tolerances decide the exit.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../../cli/main.ts";
import { type LocalStack, startLocalStack } from "../../load/local-stack.ts";
import { farmProviders } from "../../load/provider-models.ts";
import type { TwinRow } from "../../reports/twin.ts";
import type { TwinStageRow } from "../../reports/twin-stages.ts";
import { loadCalibrationProfile } from "../../scenarios/calibration-apply.ts";
import { loadScenario } from "../../scenarios/define.ts";

const TINY = fileURLToPath(new URL("./fixtures/twin-tiny.ts", import.meta.url));
const WIDE = "p50=100000%,p95=100000%,p99=100000%,throughput=100000%,cpu=100pt,errors=100pt";

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  try {
    const code = await main(argv);
    const text = (m: typeof stdout) => m.mock.calls.map((c) => String(c[0])).join("");
    return { code, out: text(stdout), err: text(stderr) };
  } finally {
    vi.restoreAllMocks();
  }
}

/** `rushhour twin` on the tiny scenario with a profile, 2 simulated replications, into `out`. */
function runTwin(profile: string, out: string, more: string[]) {
  return run(["twin", TINY, "--calibration", profile, "--replications", "2", "--out", out, ...more]);
}

function rowsOf(dir: string): TwinRow[] {
  return (JSON.parse(readFileSync(join(dir, "twin.json"), "utf8")) as { rows: TwinRow[] }).rows;
}

describe("rushhour calibrate + twin on a local stack", () => {
  const dir = mkdtempSync(join(tmpdir(), "rushhour-twin-"));
  const profileFile = join(dir, "calibration.json");
  const firstOut = join(dir, "twin-1");
  let stack: LocalStack;
  let tokenFile: string;

  beforeAll(async () => {
    const scenario = await loadScenario(TINY);
    stack = await startLocalStack({
      providers: farmProviders(scenario.providers),
      config: "adaptive",
      skuCount: scenario.skus.count,
      seed: scenario.seed,
      store: "memory:",
    });
    tokenFile = join(dir, "admin-token");
    writeFileSync(tokenFile, stack.adminToken, { mode: 0o600 });
  }, 180_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it("calibrate measures the servers and writes a valid profile; twin compares it with a live run", async () => {
    const target = ["--target", stack.target, "--admin-token-file", tokenFile];
    const cal = await run([
      "calibrate",
      TINY,
      "--out",
      profileFile,
      "--rates",
      "20,60",
      "--step",
      "1s",
      "--warmup",
      "1s",
      ...target,
    ]);
    expect(cal.err).toBe("");
    expect(cal.code).toBe(0);
    const { profile } = loadCalibrationProfile(profileFile);
    expect(profile.measured).toMatchObject({
      target: stack.target,
      scenario: "twin-tiny",
      cores: expect.any(Number),
    });
    expect(profile.cpu.steps.map((s) => s.rate)).toEqual([20, 60]);
    expect(profile.cpu.steps.every((s) => s.completed > 0 && s.serverMsPerOrder > 0)).toBe(true);
    // The server counted its event loop's turns through each step, and calibrate says what it made of them.
    expect(profile.cpu.steps.every((s) => (s.loopTurnsPerSecond ?? 0) > 0)).toBe(true);
    expect(cal.out).toMatch(/\nloop turns: /);
    // The server's garbage-collection pauses, from its snapshots around each step (a short step may have none).
    for (const s of profile.cpu.steps) {
      expect(s.gcPausesPerOrder, `${s.rate}/s`).toBeGreaterThanOrEqual(0);
      expect(s.gcPauseMs, `${s.rate}/s`).toBeGreaterThanOrEqual(0);
    }
    expect(Object.values(profile.cpu.stageMs).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    // Running servers: the driver and the farm are not on the server's machine as far as calibrate knows.
    expect(profile.cpu.colocated).toBeNull();
    // The server's own timings: both providers' latency as 101 quantiles, the store's claim time.
    expect(Object.keys(profile.providers).sort()).toEqual(["p1", "p2"]);
    expect(profile.providers.p1!.values).toHaveLength(101);
    expect(profile.store.claimMs).toBeGreaterThan(0);

    // Two live runs: the error is against their mean, and the report shows their interval.
    // The stack is one server: with --live-backup no the simulated primary has no backup either.
    const twin = await runTwin(profileFile, firstOut, [
      "--tolerance",
      WIDE,
      "--live-runs",
      "2",
      "--live-backup",
      "no",
      ...target,
    ]);
    expect(twin.code).toBe(0);
    const rows = rowsOf(firstOut);
    expect(rows.map((r) => r.metric)).toEqual(["p50", "p95", "p99", "throughput", "cpu", "errors"]);
    for (const r of rows.filter((x) => ["p50", "p99", "throughput"].includes(x.metric))) {
      expect(r.liveRuns, r.metric).toHaveLength(2);
      expect(r.liveRuns.every((v) => v > 0)).toBe(true);
      expect(r.live, r.metric).toBeCloseTo((r.liveRuns[0]! + r.liveRuns[1]!) / 2, 3);
      expect(r.liveRange.lo, r.metric).toBeLessThanOrEqual(Math.min(...r.liveRuns) + 1e-3);
      expect(r.liveRange.hi, r.metric).toBeGreaterThanOrEqual(Math.max(...r.liveRuns) - 1e-3);
      expect(r.simulated.mean, r.metric).toBeGreaterThan(0);
      expect(r.error, r.metric).toBeCloseTo((r.simulated.mean - r.live) / r.live, 6);
      expect(r.pass).toBe(true);
    }
    expect(twin.out).toContain(
      "| metric | simulated [95% CI] | live [95% CI] | error | tolerance | verdict |",
    );
    expect(twin.out).toContain("Live: 2 runs (mean [95% CI]");
    expect(twin.out).toContain("No backup behind the live primary, so none behind the simulated one");
    const simulatedRun = JSON.parse(readFileSync(join(firstOut, "simulated.json"), "utf8")) as {
      scenario: { definition: { cluster: { backupDeployed: boolean } } };
    };
    expect(simulatedRun.scenario.definition.cluster.backupDeployed).toBe(false);
    // Each live run's RunResult is kept: live.json (the first, which the charts show) and live-2.json.
    const second = JSON.parse(readFileSync(join(firstOut, "live-2.json"), "utf8")) as { kind: string };
    expect(second.kind).toBe("load");
    // Where the time went, stage by stage, on both sides: the live side read from the server's replies.
    const stages = (
      JSON.parse(readFileSync(join(firstOut, "twin.json"), "utf8")) as { stages: TwinStageRow[] }
    ).stages;
    expect(stages.map((r) => r.stage)).toEqual(["allocating", "issuing", "core", "outside"]);
    for (const r of stages.filter((x) => x.stage === "issuing" || x.stage === "core")) {
      expect(r.live.p50, r.stage).toBeGreaterThan(0);
      expect(r.simulated.p50, r.stage).toBeGreaterThan(0);
    }
    expect(twin.out).toContain("| issuing (provider calls) |");
    for (const f of [
      "twin.html",
      "live.json",
      "simulated.json",
      "charts/twin-latency.svg",
      "charts/twin-cpu.svg",
    ])
      expect(existsSync(join(firstOut, f)), f).toBe(true);
    // The same comparison with no room for error fails and names the metric with its error.
    const strict = await runTwin(profileFile, join(dir, "strict"), [
      "--against",
      join(firstOut, "live.json"),
      "--tolerance",
      "p99=0%",
    ]);
    expect(strict.code).toBe(1);
    // The recorded run lists no backup (it ran against --target, recorded without a topology): nor does
    // the simulated side have one.
    expect(strict.out).toContain("No backup behind the live primary, so none behind the simulated one");
    expect(strict.out).toMatch(
      /outside tolerance: P99: simulated .* vs live .*, error [+-]\d+\.\d% \(tolerance ±0\.00%\)/,
    );
  }, 240_000);

  it("a profile with the CPU cost x3 moves simulated CPU and fails twin on CPU peak, naming the metric", async () => {
    const live = join(firstOut, "live.json");
    const tripled = JSON.parse(readFileSync(profileFile, "utf8"));
    // The server's CPU per order is the measured curve (its steps); the stage costs split it.
    for (const step of tripled.cpu.steps) step.serverMsPerOrder *= 3;
    const tripledFile = join(dir, "calibration-x3.json");
    writeFileSync(tripledFile, JSON.stringify(tripled));
    const twin = (profile: string, out: string, tolerance?: string) =>
      runTwin(profile, join(dir, out), ["--against", live, ...(tolerance ? ["--tolerance", tolerance] : [])]);
    await twin(profileFile, "x1");
    await twin(tripledFile, "x3");
    const cpu = (out: string) => rowsOf(join(dir, out)).find((r) => r.metric === "cpu")!;
    const [x1, x3] = [cpu("x1"), cpu("x3")];
    // Three times the CPU per order: the simulated CPU peak moves with it.
    expect(x3.simulated.mean).toBeGreaterThan(x1.simulated.mean * 2);
    // The tolerance is applied to each profile's own error (which profile is nearer the live CPU depends on
    // how well this machine's calibration holds, issue 13: the test judges the mechanism, not the accuracy).
    const within = (error: number, factor: number) =>
      WIDE.replace("cpu=100pt", `cpu=${(Math.abs(error) * factor + (factor > 1 ? 0.01 : 0)).toFixed(3)}pt`);
    const good = await twin(profileFile, "x1-judged", within(x1.error!, 1.5));
    const bad = await twin(tripledFile, "x3-judged", within(x3.error!, 0.5));
    expect(good.code).toBe(0);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/outside tolerance: CPU peak: simulated .* vs live .*, error [+-]\d+(\.\d+)? pt/);
  }, 120_000);

  it("refuses an --against file that is not a live run of the scenario, and a bad --tolerance, in one line", async () => {
    const simRun = join(firstOut, "simulated.json");
    const wrong = await run(["twin", TINY, "--against", simRun, "--out", join(dir, "wrong")]);
    expect(wrong.code).toBe(2);
    expect(wrong.err).toContain(
      '--against: expected a live RunResult (kind "load") of twin-tiny, got a sim run',
    );
    const tol = await run(["twin", TINY, "--tolerance", "p99=15pt"]);
    expect(tol.code).toBe(2);
    expect(tol.err).toContain("--tolerance: p99 takes a percentage (e.g. p99=15%)");
    const runs = await run(["twin", TINY, "--live-runs", "0"]);
    expect(runs.code).toBe(2);
    expect(runs.err).toContain('--live-runs must be an integer between 1 and 20, got "0"');
    const both = await run(["twin", TINY, "--against", join(firstOut, "live.json"), "--live-runs", "3"]);
    expect(both.code).toBe(2);
    expect(both.err).toContain("--against is one recorded live run: it cannot go with --live-runs above 1");
    const word = await run(["twin", TINY, "--live-backup", "maybe"]);
    expect(word.code).toBe(2);
    expect(word.err).toContain('--live-backup must be yes or no, got "maybe"');
  });
});
