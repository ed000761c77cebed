// The in-process simulated providers on the virtual clock: latency model, capacity, errors, faults.
import { describe, expect, it } from "vitest";
import type { IssueOutcome } from "../../../server/core/ports.ts";
import { LocalProviders } from "../../../server/providers/local.ts";
import { type ProviderModel, validateProviderSpec } from "../../../server/providers/model.ts";
import { VirtualEnvironment } from "../../../simulator/kernel/virtual-env.ts";

const model = (over: Partial<ProviderModel> = {}): ProviderModel => ({
  id: "p1",
  p50Ms: 100,
  p99Ms: 100,
  capacity: 1000,
  errorRate: 0,
  ...over,
});

function issueMany(env: VirtualEnvironment, providers: LocalProviders, n: number, providerId = "p1") {
  const results: { at: number; outcome: IssueOutcome }[] = [];
  for (let i = 0; i < n; i++) {
    providers.issue({ providerId, orderId: `o${i}`, sku: "s", cardId: `c${i}`, attempt: 1 }, (outcome) =>
      results.push({ at: env.now(), outcome }),
    );
  }
  return results;
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!;

describe("LocalProviders", () => {
  it("latency follows the lognormal with the model's p50 and p99", () => {
    const env = new VirtualEnvironment(3);
    const providers = new LocalProviders([model({ p50Ms: 40, p99Ms: 400, capacity: 100_000 })], env);
    const results = issueMany(env, providers, 20_000);
    env.runAll();
    const latencies = results.map((r) => r.at);
    expect(quantile(latencies, 0.5)).toBeGreaterThan(40 * 0.95);
    expect(quantile(latencies, 0.5)).toBeLessThan(40 * 1.05);
    expect(quantile(latencies, 0.99)).toBeGreaterThan(400 * 0.85);
    expect(quantile(latencies, 0.99)).toBeLessThan(400 * 1.15);
  });

  it("serves at most `capacity` calls at once; the rest wait in FIFO order", () => {
    const env = new VirtualEnvironment();
    const providers = new LocalProviders([model({ capacity: 2 })], env);
    const results = issueMany(env, providers, 5);
    env.runAll();
    expect(results.map((r) => r.at)).toEqual([100, 100, 200, 200, 300]);
    expect(providers.info()[0]?.inFlight).toBe(0);
  });

  it("fails about errorRate of calls", () => {
    const env = new VirtualEnvironment(5);
    const providers = new LocalProviders([model({ errorRate: 0.1 })], env);
    const results = issueMany(env, providers, 10_000);
    env.runAll();
    const errors = results.filter((r) => r.outcome.kind === "error").length;
    expect(errors).toBeGreaterThan(900);
    expect(errors).toBeLessThan(1100);
  });

  it("an error fault fails calls fast; clearing it restores service", () => {
    const env = new VirtualEnvironment();
    const providers = new LocalProviders([model(), model({ id: "p2" })], env);
    providers.inject({ providerId: "p1", kind: "error", probability: 1, latencyMs: 0, durationMs: 0 });
    const broken = issueMany(env, providers, 3);
    const fine = issueMany(env, providers, 3, "p2");
    env.runAll();
    expect(broken.every((r) => r.outcome.kind === "error" && r.at <= 1)).toBe(true);
    expect(fine.every((r) => r.outcome.kind === "issued")).toBe(true);
    expect(providers.clear("p1")).toBe(1);
    const healed = issueMany(env, providers, 3);
    env.runAll();
    expect(healed.every((r) => r.outcome.kind === "issued")).toBe(true);
  });

  it("a latency fault adds its latency; a fault with a duration expires", () => {
    const env = new VirtualEnvironment();
    const providers = new LocalProviders([model()], env);
    providers.inject({ providerId: "", kind: "latency", probability: 0, latencyMs: 250, durationMs: 1000 });
    const slow = issueMany(env, providers, 1);
    env.runAll();
    expect(slow[0]?.at).toBe(350);
    env.runUntil(1500);
    const after = issueMany(env, providers, 1);
    env.runAll();
    expect(after[0]!.at - 1500).toBe(100);
    expect(providers.info()[0]?.activeFaults).toEqual([]);
  });

  it("a blackhole swallows calls; a timeout fault answers only after a long hang", () => {
    const env = new VirtualEnvironment();
    const providers = new LocalProviders([model(), model({ id: "p2" })], env);
    providers.inject({ providerId: "p1", kind: "blackhole", probability: 1, latencyMs: 0, durationMs: 0 });
    providers.inject({ providerId: "p2", kind: "timeout", probability: 1, latencyMs: 0, durationMs: 0 });
    const swallowed = issueMany(env, providers, 2);
    const hung = issueMany(env, providers, 2, "p2");
    env.runAll();
    expect(swallowed).toEqual([]);
    expect(hung.map((r) => r.outcome)).toEqual([
      { kind: "error", reason: "timeout" },
      { kind: "error", reason: "timeout" },
    ]);
    expect(hung[0]!.at).toBeGreaterThanOrEqual(5000);
  });

  it("a fault with probability 0.5 hits about half the calls", () => {
    const env = new VirtualEnvironment(9);
    const providers = new LocalProviders([model()], env);
    providers.inject({ providerId: "p1", kind: "error", probability: 0.5, latencyMs: 0, durationMs: 0 });
    const results = issueMany(env, providers, 4000);
    env.runAll();
    const errors = results.filter((r) => r.outcome.kind === "error").length;
    expect(errors).toBeGreaterThan(1800);
    expect(errors).toBeLessThan(2200);
  });

  it("an unknown provider id is an error, not a hang", () => {
    const env = new VirtualEnvironment();
    const providers = new LocalProviders([model()], env);
    const results = issueMany(env, providers, 1, "nope");
    env.runAll();
    expect(results[0]?.outcome).toEqual({ kind: "error", reason: "unknown_provider" });
  });
});

describe("validateProviderSpec", () => {
  it("reports every error with its path", () => {
    const result = validateProviderSpec({
      providers: [
        { id: "ok", p50Ms: 10, p99Ms: 50, capacity: 4, errorRate: 0 },
        { id: "bad id", p50Ms: -1, p99Ms: 50, capacity: 0, errorRate: 2 },
        { id: "slow", p50Ms: 100, p99Ms: 50, capacity: 4, errorRate: 0 },
      ],
    });
    expect(result.ok).toBe(false);
    const paths = result.ok ? [] : result.errors.map((e) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "providers[1].id",
        "providers[1].p50Ms",
        "providers[1].capacity",
        "providers[1].errorRate",
        "providers[2].p99Ms",
      ]),
    );
  });

  it("accepts a bare array", () => {
    const result = validateProviderSpec([{ id: "a", p50Ms: 1, p99Ms: 2, capacity: 1, errorRate: 0 }]);
    expect(result.ok).toBe(true);
  });

  it("refuses reserved keys by path", () => {
    const result = validateProviderSpec(
      JSON.parse(
        '{"providers": [{"id": "a", "p50Ms": 1, "p99Ms": 2, "capacity": 1, "errorRate": 0, "__proto__": {}}]}',
      ),
    );
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.errors.map((e) => e.path)).toEqual(["providers[0].__proto__"]);
  });
});
