import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { main } from "../../cli/main.ts";
import { searchCapacity } from "../../reports/capacity/search.ts";
import { fitUsl, uslThroughput } from "../../reports/capacity/usl.ts";

describe("fitUsl", () => {
  it("recovers lambda, alpha and beta exactly from noiseless points", () => {
    const truth = { lambda: 100, alpha: 0.05, beta: 0.002 };
    const points = [1, 2, 4, 8, 16, 32, 64].map((n) => ({ n, x: uslThroughput(truth, n) }));
    const fit = fitUsl(points);
    expect(fit.lambda).toBeCloseTo(100, 9);
    expect(fit.alpha).toBeCloseTo(0.05, 9);
    expect(fit.beta).toBeCloseTo(0.002, 9);
    // N* = sqrt((1 - 0.05) / 0.002) = 21.794...
    expect(fit.nStar).toBeCloseTo(Math.sqrt(0.95 / 0.002), 9);
    expect(fit.r2).toBeCloseTo(1, 12);
    for (const r of fit.residuals) expect(Math.abs(r)).toBeLessThan(1e-9);
  });

  it("linear scaling has no contention, no coherency cost and no peak", () => {
    const fit = fitUsl([1, 2, 4, 8].map((n) => ({ n, x: 50 * n })));
    expect(fit.lambda).toBeCloseTo(50, 6);
    expect(fit.alpha).toBeCloseTo(0, 9);
    expect(fit.beta).toBeCloseTo(0, 9);
    expect(fit.nStar).toBeGreaterThan(1e4);
  });

  it("refuses fits it cannot make", () => {
    expect(() =>
      fitUsl([
        { n: 2, x: 10 },
        { n: 4, x: 20 },
        { n: 8, x: 30 },
      ]),
    ).toThrow(/concurrency 1/);
    expect(() =>
      fitUsl([
        { n: 1, x: 10 },
        { n: 2, x: 20 },
      ]),
    ).toThrow(/3 concurrency levels/);
  });
});

describe("searchCapacity", () => {
  const system = (capacity: number) => async (rate: number) => ({
    rate,
    p99Ms: rate < capacity ? 100 : 5000,
    errorRate: 0,
    ok: rate < capacity,
  });

  it("brackets upwards from a passing start and bisects to the tolerance", async () => {
    const r = await searchCapacity(system(1000), { start: 300, tolerance: 0.01, maxProbes: 30 });
    expect(r.best).toBeLessThan(1000);
    expect(r.best).toBeGreaterThan(990);
    expect(r.firstFailing).toBeGreaterThanOrEqual(1000);
    expect(r.probes.slice(0, 3).map((p) => p.rate)).toEqual([300, 600, 1200]);
  });

  it("brackets downwards from a failing start", async () => {
    const r = await searchCapacity(system(100), { start: 1000, tolerance: 0.05, maxProbes: 30 });
    expect(r.probes.slice(0, 5).map((p) => p.rate)).toEqual([1000, 500, 250, 125, 62.5]);
    expect(r.best).toBeGreaterThan(95);
    expect(r.best).toBeLessThan(100);
  });

  it("stops at the probe budget", async () => {
    const r = await searchCapacity(system(1e9), { start: 1, tolerance: 0.01, maxProbes: 5 });
    expect(r.probes).toHaveLength(5);
    expect(r.best).toBe(16);
    expect(r.firstFailing).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("fitUsl against noise", () => {
  it("fits lambda by least squares instead of pinning it to a noisy N = 1 run", () => {
    const truth = { lambda: 12, alpha: 0.02, beta: 0.0005 };
    const points = [1, 2, 4, 8, 16, 32].map((n) => ({ n, x: uslThroughput(truth, n) * (n === 1 ? 0.8 : 1) }));
    const fit = fitUsl(points);
    // The N = 1 run reads 20% low; the other five pull lambda back towards the truth.
    expect(fit.lambda).toBeGreaterThan(11);
    expect(Math.abs(fit.residuals.slice(1).reduce((a, r) => a + r, 0))).toBeLessThan(5);
  });
});

describe("fitUsl bounds", () => {
  it("reports Amdahl's asymptote lambda/alpha when there is contention but no coherency cost", () => {
    const truth = { lambda: 10, alpha: 0.1, beta: 0 };
    const fit = fitUsl([1, 2, 4, 8].map((n) => ({ n, x: uslThroughput(truth, n) })));
    expect(fit.alpha).toBeCloseTo(0.1, 9);
    expect(fit.xMax).toBeCloseTo(100, 3);
  });
});

describe("rushhour capacity --no-live", () => {
  it("finds a rate that meets the objective by simulation and writes the page and capacity.json", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rushhour-capacity-"));
    const scenario = {
      name: "cap-tiny",
      description: "two providers, a 500 ms P99 objective",
      seed: 5,
      traffic: { executor: "constant-arrival-rate", rate: 100, duration: "10s" },
      vipShare: 0,
      skus: { count: 10, zipfExponent: 1 },
      providers: [
        { id: "p1", latency: { p50: "40ms", p99: "200ms" }, capacity: 50, errorRate: 0 },
        { id: "p2", latency: { p50: "40ms", p99: "200ms" }, capacity: 50, errorRate: 0 },
      ],
      compare: { baseline: "legacy", candidate: "adaptive" },
      cluster: { primary: { workers: 100, cores: 2 }, backup: { workers: 50, cores: 2 }, hopMs: "2ms" },
      drain: "10s",
      window: "1s",
      thresholds: { latency: ["p(99)<500"] },
    };
    writeFileSync(join(dir, "cap-tiny.ts"), `export default ${JSON.stringify(scenario)};\n`);
    const out = join(dir, "out");
    const stdout = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const code = await main([
      "capacity",
      join(dir, "cap-tiny.ts"),
      "--no-live",
      "--duration",
      "10s",
      "--max-probes",
      "6",
      "--out",
      out,
    ]);
    const printed = stdout.mock.calls.map((c) => String(c[0])).join("");
    vi.restoreAllMocks();
    expect(code).toBe(0);
    const rep = JSON.parse(readFileSync(join(out, "capacity.json"), "utf8"));
    expect(rep.objective).toEqual({ p99Ms: 500, maxErrorRate: 0.01 });
    expect(rep.search.probes).toHaveLength(6);
    // Every rate at or below the answer that was probed met the objective; every one above it missed.
    for (const p of rep.search.probes) expect(p.ok).toBe(p.rate <= rep.search.best);
    expect(rep.search.best).toBeGreaterThan(0);
    expect(printed).toMatch(/simulated capacity: \d+ orders\/s/);
    expect(readFileSync(join(out, "index.html"), "utf8")).toContain('data-chart="capacity-search"');
  });
});
