import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BUILTIN_SCENARIOS, loadScenario, ScenarioError, validateScenario } from "../../scenarios/define.ts";
import { parseDuration } from "../../traffic/duration.ts";

const minimal = {
  name: "ok",
  traffic: { executor: "constant-arrival-rate", rate: 10, duration: "30s" },
  providers: [{ id: "p1", latency: { p50: "40ms", p99: "200ms" }, capacity: 10 }],
  cluster: { primary: { workers: 4 }, backup: { workers: 2 } },
};

describe("durations", () => {
  it("accepts k6 forms and numbers of ms", () => {
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("2m")).toBe(120_000);
    expect(parseDuration("1h")).toBe(3_600_000);
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("1m30s")).toBe(90_000);
    expect(parseDuration(250)).toBe(250);
    expect(() => parseDuration("5x")).toThrow(/expected a duration like "30s"/);
    expect(() => parseDuration("-1s")).toThrow();
  });
});

describe("validateScenario", () => {
  it("fills defaults and turns durations into ms", () => {
    const s = validateScenario(minimal);
    expect(s.traffic).toEqual({
      executor: "constant-arrival-rate",
      rate: 10,
      duration: 30_000,
      timeUnit: 1000,
    });
    expect(s.providers[0]!.latency).toEqual({ p50: 40, p99: 200 });
    expect(s.seed).toBe(1);
    expect(s.compare).toMatchObject({ baseline: "legacy", candidate: "adaptive" });
    expect(s.drain).toBe(30_000);
    expect(s.definition).toBe(minimal);
  });

  it("reports every problem at once, each with its path", () => {
    let error: ScenarioError | undefined;
    try {
      validateScenario({
        ...minimal,
        name: "Bad Name",
        traffic: {
          executor: "ramping-arrival-rate",
          stages: [
            { target: 10, duration: "30s" },
            { target: 10, duration: "30s" },
            { target: 10, duration: "soon" },
          ],
        },
        providers: [{ id: "p1", latency: { p50: 300, p99: 100 }, capacity: 0 }],
        faults: [{ at: "1s", provider: "nope", kind: "explode", duration: "1s" }],
        thresholds: { latency: ["p99<2000"], bogus: ["count==0"] },
        typo: true,
      });
    } catch (err) {
      error = err as ScenarioError;
    }
    expect(error).toBeInstanceOf(ScenarioError);
    const problems = error!.problems;
    const expected = [
      /^name: /,
      /^traffic\.stages\[2\]\.duration: expected a duration like "30s", "2m", "1h"/,
      /^providers\[0\]\.capacity: must be >= 1/,
      /^providers\[0\]\.latency\.p99: p99 must be >= p50/,
      /^faults\[0\]\.kind: /,
      /^faults\[0\]\.provider: unknown provider "nope"/,
      /^thresholds\.latency\[0\]: "p99<2000" is not a threshold/,
      /^thresholds\.bogus: unknown metric/,
      /typo/,
    ];
    for (const re of expected) expect(problems.some((p) => re.test(p))).toBe(true);
    expect(error!.message).toContain(`(${problems.length} problems)`);
  });

  it("rejects an unknown executor with the list of known ones", () => {
    expect(() => validateScenario({ ...minimal, traffic: { executor: "shared-iterations" } })).toThrow(
      /traffic\.executor: executor must be one of "constant-arrival-rate", "ramping-arrival-rate"/,
    );
  });
});

describe("loadScenario", () => {
  const dir = mkdtempSync(join(tmpdir(), "rushhour-scn-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("loads every built-in scenario by name, and they are valid", async () => {
    for (const name of BUILTIN_SCENARIOS) {
      const s = await loadScenario(name);
      expect(s.name).toBe(name);
      expect(s.file).toMatch(new RegExp(`scenarios/${name}\\.ts$`));
    }
  });

  it("loads a scenario file by path and reports its problems with the file name", async () => {
    const define = new URL("../../scenarios/define.ts", import.meta.url).pathname;
    const good = join(dir, "good.ts");
    writeFileSync(
      good,
      `import { defineScenario } from ${JSON.stringify(define)};
export default defineScenario(${JSON.stringify({ ...minimal, name: "from-file" })});\n`,
    );
    expect((await loadScenario(good)).name).toBe("from-file");
    const bad = join(dir, "bad.ts");
    writeFileSync(bad, `export default ${JSON.stringify({ ...minimal, vipShare: 2 })};\n`);
    await expect(loadScenario(bad)).rejects.toThrow(
      /bad\.ts is invalid[\s\S]*vipShare: must be between 0 and 1/,
    );
    await expect(loadScenario(join(dir, "missing"))).rejects.toThrow(
      /no scenario .*not a file, and not a built-in/,
    );
  });

  it("the rushhour command loads a user's scenario file from a folder outside the package", () => {
    // Outside this package a .ts file is CommonJS to Node; under vitest this would pass regardless,
    // so this runs the real command (tsx), as a user would.
    const define = new URL("../../scenarios/define.ts", import.meta.url).pathname;
    const file = join(dir, "mine.ts");
    writeFileSync(
      file,
      `import { defineScenario } from ${JSON.stringify(define)};
export default defineScenario(${JSON.stringify({ ...minimal, name: "mine", compare: { baseline: "adaptive" } })});\n`,
    );
    const bin = new URL("../../cli/bin.mjs", import.meta.url).pathname;
    const out = join(dir, "out");
    const run = spawnSync(process.execPath, [bin, "sim", file, "--out", out], { encoding: "utf8" });
    expect(run.stderr).not.toMatch(/could not be loaded/);
    expect(run.status).toBe(0);
    expect(existsSync(join(out, "mine.adaptive.json"))).toBe(true);
  });
});

describe("risk and notification services", () => {
  const lat = { p50: "15ms", p99: "120ms" };

  it("default their ids, rates and SKU prices, and let faults name them", () => {
    const s = validateScenario({
      ...minimal,
      skus: { priceCents: [500, 2000] },
      risk: { latency: lat, capacity: 10, denyRate: 0.01 },
      notification: { latency: lat, capacity: 10 },
      faults: [
        { at: "1s", provider: "risk", kind: "timeout", duration: "5s" },
        { at: "1s", provider: "notify", kind: "latency", latencyMs: "2s", duration: "5s" },
      ],
    });
    expect(s.risk).toMatchObject({ id: "risk", capacity: 10, errorRate: 0, denyRate: 0.01, reviewRate: 0 });
    expect(s.notification).toMatchObject({ id: "notify", errorRate: 0 });
    expect(s.skus.priceCents).toEqual([500, 2000]);
    expect(validateScenario(minimal).skus.priceCents).toBe(0);
    expect(validateScenario(minimal).risk).toBeUndefined();
  });

  it("refuses clashing ids, impossible rates and bad prices, each by path", () => {
    let error: ScenarioError | undefined;
    try {
      validateScenario({
        ...minimal,
        skus: { priceCents: [100, -1] },
        risk: {
          id: "p1",
          latency: { p50: "50ms", p99: "10ms" },
          capacity: 10,
          denyRate: 0.7,
          reviewRate: 0.5,
        },
        notification: { id: "p1", latency: lat, capacity: 10 },
        faults: [{ at: "1s", provider: "risk", kind: "timeout", duration: "5s" }],
      });
    } catch (err) {
      error = err as ScenarioError;
    }
    expect(error).toBeInstanceOf(ScenarioError);
    const problems = error!.problems;
    for (const re of [
      /^skus\.priceCents/,
      /^risk\.reviewRate: denyRate \+ reviewRate must be at most 1/,
      /^risk\.latency\.p99: p99 must be >= p50/,
      /^risk\.id: id "p1" is already taken/,
      /^notification\.id: id "p1" is already taken/,
      /^faults\[0\]\.provider: unknown provider "risk"/,
    ]) {
      expect(
        problems.some((p) => re.test(p)),
        `${re} in ${problems.join(" | ")}`,
      ).toBe(true);
    }
  });
});
