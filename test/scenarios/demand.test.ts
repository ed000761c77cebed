import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateDemandHistory, loadDemandHistory } from "../../scenarios/demand.ts";

describe("demand history", () => {
  const spec = {
    kind: "generated" as const,
    days: 3,
    peakPerMinute: 1000,
    troughPerMinute: 100,
    peakMinute: 1200,
    noise: 0.05,
  };

  it("generates one value per minute with a daily peak, ending 30 minutes before the next peak", () => {
    const h = generateDemandHistory(spec, 1);
    expect(h).toHaveLength(3 * 1440);
    // The last value is 30 minutes before the peak minute: on the way up, above the trough.
    expect(h.at(-1)!).toBeGreaterThan(150);
    // One peak per day, 1440 minutes apart, near the peak rate.
    const peaks = [0, 1, 2].map((d) => {
      const day = h.slice(d * 1440, (d + 1) * 1440);
      return Math.max(...day);
    });
    for (const p of peaks) expect(p).toBeGreaterThan(950);
    expect(Math.min(...h)).toBeGreaterThanOrEqual(95 * 0.95);
    expect(generateDemandHistory(spec, 1)).toEqual(h);
    expect(generateDemandHistory(spec, 2)).not.toEqual(h);
  });

  const dir = mkdtempSync(join(tmpdir(), "rushhour-demand-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads a file relative to the scenario file and rejects a malformed one", () => {
    writeFileSync(join(dir, "history.json"), JSON.stringify([1, 2, 3]));
    writeFileSync(join(dir, "broken.json"), JSON.stringify([1, "two"]));
    const scenarioFile = join(dir, "s.ts");
    expect(loadDemandHistory({ kind: "file", path: "history.json" }, 1, scenarioFile)).toEqual([1, 2, 3]);
    expect(() => loadDemandHistory({ kind: "file", path: "broken.json" }, 1, scenarioFile)).toThrow(
      /JSON array of orders per minute/,
    );
  });
});
