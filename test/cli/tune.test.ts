// `rushhour tune`'s bad inputs: a space file with a bad path, an empty range or an unknown metric is one clear
// error naming it, exit 2, before anything is simulated (the command runs in-process through cli/main.ts).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { main } from "../../cli/main.ts";
import { resolveConfig } from "../../simulator/configs.ts";
import { expectTuneReportFiles } from "../support/tune-report.ts";

const dir = mkdtempSync(join(tmpdir(), "rushhour-tune-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const PLANTED = new URL("../../scenarios/tune/planted-workers.ts", import.meta.url).pathname;

async function tune(space: unknown, extra: string[] = []) {
  const file = join(dir, `space-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, typeof space === "string" ? space : JSON.stringify(space));
  let stderr = "";
  const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const status = await main(["tune", PLANTED, "--space", file, "--out", join(dir, "out"), ...extra]);
    return { status, stderr };
  } finally {
    spy.mockRestore();
  }
}

describe("rushhour tune: bad space files exit 2 naming the problem", () => {
  it("a path that is no configuration field", async () => {
    const r = await tune({ parameters: { "routing.highWatermrk": { range: [0.5, 0.9] } } });
    expect(r.status).toBe(2);
    // One problem, one line: the file, the path and what is wrong.
    expect(r.stderr).toMatch(
      /^rushhour tune: --space \S+: parameters\.routing\.highWatermrk: no such configuration field/,
    );
    expect(r.stderr.split("\n").filter((l) => l.startsWith("rushhour tune:"))).toHaveLength(1);
  });

  it("an empty range, and a range outside what the field accepts", async () => {
    const r = await tune({
      parameters: {
        "routing.highWatermark": { range: [0.9, 0.9] },
        "retry.maxAttempts": { range: [0, 3] },
      },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/parameters\.routing\.highWatermark\.range: empty range \[0\.9, 0\.9\]/);
    expect(r.stderr).toMatch(/parameters\.retry\.maxAttempts\.range: 0: Too small/i);
  });

  it("an unknown metric in the objective or a constraint, and a bad aggregation", async () => {
    const r = await tune({
      parameters: { "routing.highWatermark": { range: [0.6, 0.9] } },
      constraints: { cpu_primry: ["max<0.75"], errors: ["rat<0.01"] },
      objective: { metric: "latencyy" },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/objective\.metric: unknown metric "latencyy"/);
    expect(r.stderr).toMatch(/constraints\.cpu_primry: unknown metric "cpu_primry"/);
    expect(r.stderr).toMatch(/constraints\.errors\[0\]: "rat<0\.01" is not a threshold/);
  });

  it("a non-integer step on an integer field, a cost on no parameter, and bad flags", async () => {
    const r = await tune({
      parameters: { "retry.maxAttempts": { range: [1, 5], step: 0.5 } },
      objective: { cost: { "cluster.backup.cores": 10 } },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/parameters\.retry\.maxAttempts\.step: the field is an integer/);
    expect(r.stderr).toMatch(/objective\.cost\.cluster\.backup\.cores: not a tuned parameter/);
    const flags = await tune({ parameters: { "routing.highWatermark": { range: [0.6, 0.9] } } }, [
      "--budget",
      "3",
    ]);
    expect(flags.status).toBe(2);
    expect(flags.stderr).toMatch(/--budget must be an integer from 8/);
    const json = await tune("{ not json");
    expect(json.status).toBe(2);
    expect(json.stderr).toMatch(/--space .*not valid JSON/);
  });
});

describe("rushhour tune: the answer on disk", () => {
  it("writes the report and a recommended configuration file that the config loader reads", async () => {
    const out = join(dir, "run");
    const space = { parameters: { "routing.highWatermark": { range: [0.6, 1.0], step: 0.1 } } };
    const file = join(dir, "ok-space.json");
    writeFileSync(file, JSON.stringify(space));
    let stdout = "";
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      stdout += String(chunk);
      return true;
    });
    let status: number;
    try {
      status = await main(["tune", PLANTED, "--space", file, "--budget", "8", "--out", out]);
    } finally {
      spy.mockRestore();
    }
    expect(status, stdout).toBe(0);
    expect(stdout).toMatch(/best - adaptive: .* 95% paired CI \[.*\] over 6 replications/);
    expectTuneReportFiles(out);
    const rec = JSON.parse(readFileSync(join(out, "recommended-config.json"), "utf8"));
    expect(rec.extends).toBe("adaptive");
    const tuned = JSON.parse(readFileSync(join(out, "tune.json"), "utf8"));
    expect(resolveConfig(join(out, "recommended-config.json")).routing.highWatermark).toBe(
      tuned.best.values["routing.highWatermark"],
    );
    expect(readFileSync(join(out, "index.html"), "utf8")).toMatch(/<section id="tuning">/);
  });
});
