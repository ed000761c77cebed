// Calibration profiles: a bad file is one line naming the file and the field; a good one replaces the
// scenario's typed-in costs, in the scenario (cluster.profile) and through `rushhour sim --calibration`,
// and the RunResult records which profile ran.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../../cli/main.ts";
import { farmProviders, farmServices } from "../../load/provider-models.ts";
import { readRunResult } from "../../results/run-result.ts";
import { applyCalibration, loadCalibrationProfile } from "../../scenarios/calibration-apply.ts";
import { liveServices, loadScenario, validateScenario, withCalibrationFile } from "../../scenarios/define.ts";
import { LatencySchema } from "../../scenarios/schema.ts";
import { sampleProfile } from "./calibration-fixture.ts";

const TINY = fileURLToPath(new URL("../workflows/fixtures/twin-tiny.ts", import.meta.url));

function writeProfile(dir: string, content: unknown, name = "cal.json"): string {
  const file = join(dir, name);
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

describe("calibration profile files", () => {
  const dir = mkdtempSync(join(tmpdir(), "rushhour-cal-"));

  it("names the file for a missing profile and for invalid JSON", () => {
    expect(() => loadCalibrationProfile(join(dir, "none.json"))).toThrow(
      `${join(dir, "none.json")}: no such calibration profile`,
    );
    const bad = writeProfile(dir, "{ not json", "bad.json");
    expect(() => loadCalibrationProfile(bad)).toThrow(new RegExp(`^${bad}: not valid JSON`));
  });

  it("refuses another version, naming it, and names a bad field by its path, on one line", () => {
    const v2 = writeProfile(dir, { ...sampleProfile(), version: 2 }, "v2.json");
    expect(() => loadCalibrationProfile(v2)).toThrow(`${v2}: version: version must be 1`);
    const p = sampleProfile();
    (p.cpu.stageMs as Record<string, unknown>).issue = -1;
    const neg = writeProfile(dir, p, "neg.json");
    let message = "";
    try {
      loadCalibrationProfile(neg);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(new RegExp(`^${neg}: cpu\\.stageMs\\.issue: `));
    expect(message).not.toContain("\n");
  });

  it("a scenario's cluster.profile that is invalid fails the scenario, naming cluster.profile and the field", async () => {
    const p = sampleProfile();
    (p as unknown as Record<string, unknown>).hopMs = "fast";
    writeProfile(dir, p, "hop.json");
    const def = {
      ...(await loadScenario(TINY)).definition,
      cluster: { primary: { workers: 20 }, backup: { workers: 10 }, profile: "hop.json" },
    };
    expect(() => validateScenario(def, join(dir, "scenario.ts"))).toThrow(
      `cluster.profile: ${join(dir, "hop.json")}: hopMs: `,
    );
  });
});

describe("applying a profile", () => {
  it("replaces CPU costs and curve, processors, co-located CPU, hop, store times and measured providers' latency", async () => {
    const scenario = await loadScenario(TINY);
    const before = structuredClone(scenario.cluster);
    const s = applyCalibration(scenario, sampleProfile());
    expect(s.cluster.cpuCostMs).toEqual({
      accept: 0.1,
      allocate: 0.2,
      issue: 0.3,
      deliver: 0.4,
      retry: 0.5,
      waitPerSecond: 0,
    });
    // One event loop per instance, on the measured machine's 2 cores (its CPU is a share of them).
    expect(s.cluster.primary).toMatchObject({ cores: 2, processors: 1 });
    expect(s.cluster.backup).toMatchObject({ cores: 2, processors: 1 });
    expect(
      applyCalibration(scenario, { ...sampleProfile(), cpu: { ...sampleProfile().cpu, colocated: null } })
        .cluster,
    ).toMatchObject({ primary: { cores: 2, processors: 1 }, colocatedMsPerOrder: 0 });
    // The server's CPU per order at each measured rate; driver and farm at the highest rate's figures.
    expect(s.cluster.cpuCurve).toEqual([{ rate: 20, msPerOrder: 1 }]);
    expect(s.cluster.colocatedMsPerOrder).toBe(0.8);
    expect(s.cluster.hopMs).toBe(0.7);
    expect(s.store).toEqual({ claimMs: 1.5, stockMs: 0.5, deliverMs: 2, releaseMs: 1, perSkuLock: false });
    expect(s.providers[0]!.latency).toEqual({ dist: "empirical", values: [3, 4, 5, 6, 40] });
    // p2 was not measured: it keeps its typed-in latency.
    expect(s.providers[1]!.latency).toEqual(scenario.providers[1]!.latency);
    expect(scenario.cluster).toEqual(before);
  });

  it("replaces the risk and notification services' latency when the profile measured them under their ids", async () => {
    const promo = await loadScenario("promo-peak");
    const p = sampleProfile();
    const s = applyCalibration(promo, { ...p, providers: { ...p.providers, risk: { values: [2, 3, 9] } } });
    expect(s.risk!.latency).toEqual({ dist: "empirical", values: [2, 3, 9] });
    expect(s.notification!.latency).toEqual(promo.notification!.latency);
  });

  it("carries a service's latency measured at several rates into the simulator's latency spec", async () => {
    const promo = await loadScenario("promo-peak");
    const p = sampleProfile();
    const byRate = [
      { rate: 200, values: [10, 20, 30] },
      { rate: 600, values: [12, 25, 40] },
    ];
    const s = applyCalibration(promo, { ...p, providers: { risk: { values: [10, 20, 30], byRate } } });
    expect(s.risk!.latency).toEqual({ dist: "empirical", values: [10, 20, 30], byRate });
    // What the scenario holds validates as a scenario's latency (the simulator reads it through the schema).
    expect(LatencySchema.safeParse(s.risk!.latency).success).toBe(true);
  });

  it("leaves the live stack's farm serving the providers and services as written, not their measurements", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rushhour-cal-live-"));
    const promo = await loadScenario("promo-peak");
    const p = sampleProfile();
    // The profile saw p1 and the risk service slow (the server's own waits included).
    const slow = { values: [300, 400, 500, 600, 900] };
    const file = writeProfile(dir, { ...p, providers: { ...p.providers, p1: slow, risk: slow } });
    const calibrated = withCalibrationFile(promo, file);
    expect(calibrated.providers.find((x) => x.id === "p1")!.latency).toEqual({ dist: "empirical", ...slow });
    // The farm a twin, load or capacity run starts serves the scenario's own p1 and risk service.
    const live = liveServices(calibrated);
    expect(live.providers).toEqual(promo.providers);
    expect(live.risk).toEqual(promo.risk);
    const p1 = farmProviders(live.providers).find((x) => x.id === "p1")!;
    expect(p1.p50Ms).toBe(farmProviders(promo.providers).find((x) => x.id === "p1")!.p50Ms);
    expect(p1.p50Ms).toBeLessThan(300);
    expect(farmServices(live).risk!.p50Ms).toBe(farmServices(promo).risk!.p50Ms);
    // A scenario without a profile is served as it is.
    expect(liveServices(promo).providers).toBe(promo.providers);
  });
});

describe("rushhour sim --calibration", () => {
  afterEach(() => vi.restoreAllMocks());

  it("runs with the profile and records it in the RunResult; a bad profile is a one-line usage error", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rushhour-cal-sim-"));
    const profile = writeProfile(dir, sampleProfile());
    const out = join(dir, "out");
    vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const code = await main([
      "sim",
      TINY,
      "--config",
      "adaptive",
      "--replications",
      "1",
      "--out",
      out,
      "--calibration",
      profile,
    ]);
    expect(code).toBe(0);
    const r = readRunResult(join(out, "twin-tiny.adaptive.json"));
    expect(r.calibration?.path).toBe(profile);
    expect(r.calibration?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r.calibration?.measured).toMatchObject({ host: "test", store: "memory" });
    expect((r.scenario.definition as { cluster: { profile: string } }).cluster.profile).toBe(profile);

    const bad = writeProfile(dir, { ...sampleProfile(), providers: { p1: { values: [] } } }, "bad.json");
    stderr.mockClear();
    const badCode = await main(["sim", TINY, "--replications", "1", "--out", out, "--calibration", bad]);
    const err = stderr.mock.calls.map((c) => String(c[0])).join("");
    expect(badCode).toBe(2);
    expect(err).toContain(`--calibration ${bad}: providers.p1.values: `);
    expect(readFileSync(bad, "utf8")).toContain("values");
  });
});
