import { describe, expect, it } from "vitest";
import {
  mergeConfig,
  PRESETS,
  presetConfig,
  totalWorkers,
  validateConfig,
  withWorkers,
} from "../../../server/core/index.ts";

describe("dispatch configuration", () => {
  it("accepts both presets, which have the same total worker count", () => {
    expect(validateConfig(PRESETS.legacy).ok).toBe(true);
    expect(validateConfig(PRESETS.adaptive).ok).toBe(true);
    expect(totalWorkers(PRESETS.legacy)).toBe(totalWorkers(PRESETS.adaptive));
    expect(JSON.parse(JSON.stringify(PRESETS.adaptive))).toEqual(PRESETS.adaptive);
  });

  it("reports every error at once, each with its dotted path", () => {
    const bad = mergeConfig(PRESETS.adaptive, {
      lanes: { vip: { workers: -1 }, default: { queueCapacity: "many" } },
      retry: { maxAttempts: 0, budget: { ratio: -1 } },
      routing: { highWatermark: 1.5 },
      bogus: true,
    });
    const result = validateConfig(bad);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const paths = result.errors.map((e) => e.path).sort();
    expect(paths).toEqual([
      "bogus",
      "lanes.default.queueCapacity",
      "lanes.vip.workers",
      "retry.budget.ratio",
      "retry.maxAttempts",
      "routing.highWatermark",
    ]);
    expect(result.errors.every((e) => e.message.length > 0)).toBe(true);
  });

  it("checks relations between fields", () => {
    const result = validateConfig(mergeConfig(PRESETS.adaptive, { routing: { lowWatermark: 0.9 } }));
    expect(result).toMatchObject({ ok: false, errors: [{ path: "routing.lowWatermark" }] });
    const reserve = validateConfig(
      mergeConfig(PRESETS.adaptive, { lanes: { vip: { workers: 2, reserve: 3 } } }),
    );
    expect(reserve).toMatchObject({ ok: false, errors: [{ path: "lanes.vip.reserve" }] });
  });

  it("rejects a non-object with a root error", () => {
    expect(validateConfig(42)).toMatchObject({ ok: false, errors: [{ path: "(root)" }] });
  });

  it("merges a partial override deeply without touching the base", () => {
    const merged = mergeConfig(PRESETS.adaptive, { provider: { timeoutMs: 500 } }) as typeof PRESETS.adaptive;
    expect(merged.provider).toEqual({ ...PRESETS.adaptive.provider, timeoutMs: 500 });
    expect(merged.retry).toEqual(PRESETS.adaptive.retry);
    expect(PRESETS.adaptive.provider.timeoutMs).toBe(800);
  });

  it("gives fresh preset copies by name, and undefined for an unknown name", () => {
    const a = presetConfig("adaptive")!;
    a.lanes.vip.workers = 1;
    expect(PRESETS.adaptive.lanes.vip.workers).toBe(8);
    expect(presetConfig("nope")).toBeUndefined();
  });

  it("resizes a configuration's workers in its lane proportions", () => {
    const c = withWorkers(PRESETS.adaptive, 64);
    expect(totalWorkers(c)).toBe(64);
    expect(c.lanes.vip.workers).toBe(16);
    expect(validateConfig(c).ok).toBe(true);
    expect(withWorkers(PRESETS.legacy, 10).lanes.default.workers).toBe(10);
  });
});

describe("configuration bounds and reserved keys", () => {
  const UINT32_MAX = 2 ** 32 - 1;

  it("bounds every field that feeds a uint32 on the wire, naming it", () => {
    for (const [partial, path] of [
      [{ lanes: { default: { workers: UINT32_MAX + 1 } } }, "lanes.default.workers"],
      [{ lanes: { vip: { queueCapacity: UINT32_MAX + 1 } } }, "lanes.vip.queueCapacity"],
      [{ health: { windowSize: UINT32_MAX + 1 } }, "health.windowSize"],
      [{ retry: { maxAttempts: UINT32_MAX + 1 } }, "retry.maxAttempts"],
    ] as const) {
      const result = validateConfig(mergeConfig(PRESETS.adaptive, partial));
      expect(result.ok, path).toBe(false);
      if (!result.ok) expect(result.errors.map((e) => e.path)).toContain(path);
    }
    const atMax = mergeConfig(PRESETS.adaptive, { lanes: { default: { queueCapacity: UINT32_MAX } } });
    expect(validateConfig(atMax).ok).toBe(true);
  });

  it("bounds every time in ms by what a timer holds (2^31 - 1 ms), naming it", () => {
    // Node's setTimeout runs a longer delay after 1 ms: a provider timeout of 2^31 ms timed out every call.
    for (const [partial, path] of [
      [{ provider: { timeoutMs: 2 ** 31 } }, "provider.timeoutMs"],
      [{ routing: { sampleIntervalMs: 1e12 } }, "routing.sampleIntervalMs"],
      [{ retry: { baseDelayMs: 2 ** 31, maxDelayMs: 2 ** 31 } }, "retry.baseDelayMs"],
      [{ idleStopMs: 1e300 }, "idleStopMs"],
    ] as const) {
      const result = validateConfig(mergeConfig(PRESETS.adaptive, partial));
      expect(result.ok, path).toBe(false);
      if (!result.ok) expect(result.errors.map((e) => e.path)).toContain(path);
    }
    expect(validateConfig(mergeConfig(PRESETS.adaptive, { provider: { timeoutMs: 2 ** 31 - 1 } })).ok).toBe(
      true,
    );
  });

  it("bounds the canary judge's bootstrap resamples, naming the field", () => {
    // Unbounded, one ApplyConfig could make every canary verdict resample a billion times.
    const over = validateConfig(mergeConfig(PRESETS.adaptive, { canary: { bootstrapIterations: 1e9 } }));
    expect(over.ok).toBe(false);
    if (!over.ok) expect(over.errors.map((e) => e.path)).toContain("canary.bootstrapIterations");
    const atMax = mergeConfig(PRESETS.adaptive, { canary: { bootstrapIterations: 100_000 } });
    expect(validateConfig(atMax).ok).toBe(true);
  });

  it("refuses __proto__, constructor and prototype keys by path, also through a merge", () => {
    const parsed = JSON.parse(
      '{"__proto__": {"name": "x"}, "lanes": {"constructor": {"vipWeight": 2}}, "retry": {"budget": {"prototype": 1}}}',
    );
    const result = validateConfig(mergeConfig(PRESETS.adaptive, parsed));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.path).sort()).toEqual([
      "__proto__",
      "lanes.constructor",
      "retry.budget.prototype",
    ]);
    expect(result.errors[0]?.message).toMatch(/not allowed/);
    // The merge kept the key as data: nothing reached the prototype chain.
    expect(Object.getPrototypeOf(mergeConfig(PRESETS.adaptive, parsed))).toBe(Object.prototype);
  });
});
