// `rushhour profile` end to end on a tiny slice of promo-peak: serve runs under clinic doctor while the
// load runs, and clinic's HTML ends up beside the RunResult, listed in it and linked from the report.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "../../cli/command.ts";
import { profileCommand } from "../../cli/commands/profile.ts";
import { readRunResult } from "../../results/run-result.ts";

const out = mkdtempSync(join(tmpdir(), "rushhour-profile-test-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("rushhour profile", () => {
  it("writes clinic doctor's HTML beside the run and links it from the report", {
    timeout: 300_000,
  }, async () => {
    const code = await profileCommand.run([
      "promo-peak",
      "--duration-scale",
      "0.05",
      "--rate-scale",
      "0.05",
      "--out",
      out,
    ]);
    expect(code).toBe(0);
    const r = readRunResult(join(out, "promo-peak.adaptive.json"));
    expect(r.counters.delivered).toBeGreaterThan(0);
    const artifact = r.artifacts?.[0];
    expect(artifact?.label).toBe("clinic doctor");
    expect(artifact?.path).toMatch(/^clinic\/\d+\.clinic-doctor\.html$/);
    const html = join(out, artifact?.path as string);
    expect(existsSync(html)).toBe(true);
    expect(readFileSync(html, "utf8")).toContain("<html");
    expect(readFileSync(join(out, "report", "index.html"), "utf8")).toContain(
      `href="../${artifact?.path as string}"`,
    );
  });

  it("refuses a bad tool and a bad scale with a usage error", async () => {
    await expect(profileCommand.run(["promo-peak", "--tool", "perf"])).rejects.toThrow(UsageError);
    await expect(profileCommand.run(["promo-peak", "--duration-scale", "0"])).rejects.toThrow(
      /--duration-scale must be a number/,
    );
  });
});
