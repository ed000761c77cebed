// Simulator limits: before running, `rushhour sim` computes the orders a run will create (the
// integral of the arrival rate over the traffic, per configuration and replication) and refuses a
// run beyond --max-orders with one line giving the count, the memory and the flag to raise it.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { UsageError } from "../../cli/command.ts";
import { simCommand } from "../../cli/commands/sim.ts";
import { validateScenario } from "../../scenarios/define.ts";

const dir = mkdtempSync(join(tmpdir(), "rushhour-limits-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = {
  name: "limits",
  traffic: { executor: "constant-arrival-rate", rate: 10, duration: "3s" },
  providers: [{ id: "p", latency: { p50: 20, p99: 100 }, capacity: 20 }],
  cluster: { primary: { workers: 10 }, backup: { workers: 5 } },
  drain: "2s",
};

function scenarioFile(name: string, body: Record<string, unknown>): string {
  const file = join(dir, `${name}.ts`);
  writeFileSync(file, `export default ${JSON.stringify(body)};\n`);
  return file;
}

beforeEach(() => {
  vi.spyOn(process.stdout, "write").mockImplementation(() => true);
});
afterEach(() => vi.restoreAllMocks());

describe("scenario bounds", () => {
  it("refuses an absurd duration or rate by its path", () => {
    expect(() =>
      validateScenario({ ...base, traffic: { ...base.traffic, duration: "1000000000s" } }),
    ).toThrow(/traffic\.duration: /);
    expect(() => validateScenario({ ...base, traffic: { ...base.traffic, rate: 1e9 } })).toThrow(
      /traffic\.rate: /,
    );
    expect(() =>
      validateScenario({
        ...base,
        traffic: { executor: "ramping-arrival-rate", stages: [{ target: 1e9, duration: "1s" }] },
      }),
    ).toThrow(/traffic\.stages\[0\]\.target: /);
    expect(() => validateScenario({ ...base, skus: { count: 1e9 } })).toThrow(/skus\.count: /);
    expect(validateScenario({ ...base, traffic: { ...base.traffic, duration: "24h" } }).name).toBe("limits");
  });

  it("refuses __proto__, constructor and prototype keys by path", () => {
    const parsed = JSON.parse(
      JSON.stringify({ ...base, live: { durationScale: 1 } })
        .replace('"live":{', '"live":{"constructor":1,')
        .replace('"providers":[{', '"providers":[{"__proto__":{"capacity":1},'),
    );
    expect(() => validateScenario(parsed)).toThrow(/providers\[0\]\.__proto__: [\s\S]*live\.constructor: /);
  });
});

describe("rushhour sim --max-orders", () => {
  // 10 orders/s for 3 s: 30 orders per run; two configurations x 2 replications = 120.
  it("refuses a run beyond the limit with the expected orders, memory and the flag", async () => {
    const file = scenarioFile("limits", base);
    const run = simCommand.run([
      file,
      "--replications",
      "2",
      "--max-orders",
      "119",
      "--out",
      join(dir, "o1"),
    ]);
    await expect(run).rejects.toBeInstanceOf(UsageError);
    await expect(
      simCommand.run([file, "--replications", "2", "--max-orders", "119", "--out", join(dir, "o1")]),
    ).rejects.toThrow(/^expected 120 orders .* MB .*--max-orders/);
  });

  it("runs at the limit", async () => {
    const file = scenarioFile("limits", base);
    const code = await simCommand.run([
      file,
      "--replications",
      "2",
      "--max-orders",
      "120",
      "--out",
      join(dir, "o2"),
    ]);
    expect(code).toBe(0);
  });

  it("the default limit refuses a day at 100,000 orders a second before simulating anything", async () => {
    const file = scenarioFile("huge", {
      ...base,
      name: "huge",
      traffic: { executor: "constant-arrival-rate", rate: 100_000, duration: "24h" },
    });
    await expect(simCommand.run([file, "--replications", "1", "--out", join(dir, "o3")])).rejects.toThrow(
      /expected 17280000000 orders/,
    );
  });

  it("refuses a series too long for a RunResult file, asking for a longer window", async () => {
    const file = scenarioFile("week", {
      ...base,
      name: "week",
      traffic: { executor: "constant-arrival-rate", rate: 1, duration: "168h" },
    });
    await expect(simCommand.run([file, "--replications", "1", "--out", join(dir, "o4")])).rejects.toThrow(
      /^expected 1209600 orders .* 604802 windows in one series, .*use a longer window/,
    );
  });

  it("refuses a --max-orders that is not a positive whole number", async () => {
    const file = scenarioFile("limits", base);
    await expect(simCommand.run([file, "--max-orders", "lots"])).rejects.toThrow(/--max-orders must be/);
  });
});
