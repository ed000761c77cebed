// Scenario, live-block and configuration validation under arbitrary input (fast-check): never a crash,
// always a clear error that names where the problem is.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ScenarioError, validateScenario } from "../../scenarios/define.ts";
import { validateChaos, validateLive, validateTopology } from "../../scenarios/live.ts";
import promoPeak from "../../scenarios/promo-peak.ts";
import { mergeOver, presetByName, validate } from "../../server/core-binding.ts";

/** Any JSON-like value, including the awkward ones (NaN, -0, huge numbers, deep nesting). */
const anything = fc.anything({
  maxDepth: 4,
  withNullPrototype: true,
  withBigInt: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withTypedArray: true,
  withSparseArray: true,
});

/** A path into a plain object/array tree, and a way to replace what is there. */
function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []) {
  out.push(prefix);
  if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      paths(v, [...prefix, Array.isArray(value) ? Number(k) : k], out);
    }
  }
  return out;
}

function setAt(root: unknown, path: (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1] as string | number] = replacement;
  return copy;
}

const base = structuredClone(promoPeak) as unknown;
const basePaths = paths(base);

/** Problems are "path: message" with a non-empty message. */
function expectClearProblems(problems: readonly string[]) {
  expect(problems.length).toBeGreaterThan(0);
  for (const p of problems) expect(p).toMatch(/^\S.*: \S/);
}

describe("scenario validation (property)", () => {
  it("accepts the valid scenario it mutates", () => {
    expect(validateScenario(base).name).toBe("promo-peak");
  });

  it("never crashes on a scenario with one field replaced by anything; errors name a path", () => {
    fc.assert(
      fc.property(fc.constantFrom(...basePaths), anything, (path, replacement) => {
        const mutated = setAt(base, path, replacement);
        try {
          validateScenario(mutated);
        } catch (err) {
          expect(err).toBeInstanceOf(ScenarioError);
          expectClearProblems((err as ScenarioError).problems);
        }
      }),
      { numRuns: 400 },
    );
  });

  it("never crashes on arbitrary values as a whole scenario", () => {
    fc.assert(
      fc.property(anything, (value) => {
        try {
          validateScenario(value);
        } catch (err) {
          expect(err).toBeInstanceOf(ScenarioError);
          expectClearProblems((err as ScenarioError).problems);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("reports a misspelt key in the scenario by its path", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !(k in (base as object))),
        (key) => {
          const err = (() => {
            try {
              validateScenario({ ...(base as object), [key]: 1 });
            } catch (e) {
              return e as ScenarioError;
            }
            return null;
          })();
          expect(err).toBeInstanceOf(ScenarioError);
          expect(err?.problems.join("\n")).toContain(key);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("oversized lists", () => {
  // One line of TypeScript makes a list of 2^31 - 1 (mostly empty) places; walking it ran the process
  // out of memory before any error could be reported (seen in CI).
  const huge = () => {
    const a: unknown[] = [{ target: 1, duration: "1s" }];
    a.length = 2 ** 31 - 1;
    return a;
  };

  it("a scenario refuses one by its path", () => {
    expect(() => validateScenario(setAt(base, ["traffic", "stages"], huge()))).toThrow(
      /traffic\.stages: a list of length 2147483647; at most 1000000 elements are allowed/,
    );
  });

  it("a configuration refuses one by its path, also through a merge", () => {
    const adaptive = presetByName("adaptive");
    const result = validate(mergeOver(adaptive, { lanes: { vip: huge() } }));
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.errors).toEqual([
        { path: "lanes.vip", message: expect.stringMatching(/^a list of length 2147483647/) },
      ]);
  });

  it("a live block checks chaos targets only against a valid topology", () => {
    const problems = validateLive({
      topology: { instances: 1e9, backup: true },
      chaos: [{ at: "1s", action: "kill-instance", target: "primary-2" }],
    });
    expect(problems).toEqual([expect.stringMatching(/^live\.topology\.instances: /)]);
  });
});

describe("live block, topology and chaos validation (property)", () => {
  it("never throws; every problem starts with its live.* path", () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            cardStock: anything,
            maxVUs: anything,
            requestTimeout: anything,
            workers: anything,
            topology: fc.oneof(
              anything,
              fc.record({ instances: anything, backup: anything, store: anything }),
            ),
            chaos: fc.oneof(
              anything,
              fc.array(
                fc.record(
                  {
                    at: fc.oneof(anything, fc.constantFrom("1s", "500ms", 0, -1, "soon")),
                    action: fc.oneof(anything, fc.constantFrom("kill-instance", "kill-farm", "pause-db")),
                    target: fc.oneof(anything, fc.constantFrom("primary-1", "primary-9", "backup", "farm")),
                    restartAfter: anything,
                    duration: anything,
                  },
                  { requiredKeys: [] },
                ),
                { maxLength: 4 },
              ),
            ),
          },
          { requiredKeys: [] },
        ),
        (live) => {
          const problems = validateLive(live);
          for (const p of problems) expect(p).toMatch(/^live\.[A-Za-z]+(\[\d+\])?(\..*)?: \S/s);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("accepts every well-formed chaos step against a topology that has its target", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 }),
        fc.nat(120_000),
        fc.nat(30_000),
        fc.integer({ min: 1, max: 30_000 }),
        (instances, at, restartAfter, duration) => {
          const steps = [
            { at, action: "kill-instance", target: `primary-${1 + (at % instances)}`, restartAfter },
            { at: `${at}ms`, action: "kill-farm", restartAfter: `${restartAfter}ms` },
            { at, action: "pause-db", duration },
            { at, action: "kill-instance", target: "backup" },
          ];
          expect(validateTopology({ instances, backup: true, store: "postgres" })).toEqual([]);
          expect(validateChaos(steps, instances)).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("refuses a kill of an instance the topology does not have, naming the step", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 15 }), fc.integer({ min: 1, max: 50 }), (instances, extra) => {
        const target = `primary-${instances + extra}`;
        const problems = validateChaos([{ at: 0, action: "kill-instance", target }], instances);
        expect(problems).toEqual([
          expect.stringMatching(
            new RegExp(`^live\\.chaos\\[0\\]\\.target: ${target} is not in the topology`),
          ),
        ]);
      }),
      { numRuns: 100 },
    );
  });
});

describe("configuration validation (property)", () => {
  const adaptive = presetByName("adaptive");
  const configPaths = paths(adaptive);

  it("never throws on a configuration with one field replaced; every error has a path and message", () => {
    fc.assert(
      fc.property(fc.constantFrom(...configPaths), anything, (path, replacement) => {
        const result = validate(mergeOver(adaptive, setAt(adaptive, path, replacement)));
        if (!result.ok) {
          expect(result.errors.length).toBeGreaterThan(0);
          for (const e of result.errors) {
            expect(typeof e.path).toBe("string");
            expect(e.message.length).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it("never throws on arbitrary values as a whole configuration", () => {
    fc.assert(
      fc.property(anything, (value) => {
        const result = validate(value);
        if (!result.ok) for (const e of result.errors) expect(e.message.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });
});
