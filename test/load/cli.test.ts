import { describe, expect, it } from "vitest";
import { main } from "../../cli/main.ts";

async function run(argv: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => out.push(String(s)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => err.push(String(s)) > 0) as typeof process.stderr.write;
  try {
    const code = await main(argv);
    return { code, stdout: out.join(""), stderr: err.join("") };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

describe("rushhour load usage", () => {
  it("has --help and is listed", async () => {
    const help = await run(["load", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: rushhour load <scenario>/);
    expect((await run(["--help"])).stdout).toMatch(/\n {2}load +replay a scenario/);
  });

  it("reports every bad flag at once with exit 2", async () => {
    const r = await run([
      "load",
      "promo-peak",
      "--target",
      "nohost",
      "--duration-scale",
      "0",
      "--workers",
      "x",
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--target: "nohost" is not HOST:PORT');
    expect(r.stderr).toContain('--duration-scale must be a number > 0 (e.g. 0.25), got "0"');
    expect(r.stderr).toContain('--workers must be an integer in [0, 64], got "x"');
  });

  it("rejects a missing scenario, an unknown config and an unknown flag with exit 2", async () => {
    expect((await run(["load"])).stderr).toContain("give exactly one scenario");
    const missing = await run(["load", "no-such-scenario"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no scenario "no-such-scenario"');
    const config = await run(["load", "promo-peak", "--config", "fastest"]);
    expect(config.code).toBe(2);
    expect(config.stderr).toContain('no configuration "fastest"');
    expect((await run(["load", "promo-peak", "--rate", "5"])).code).toBe(2);
  });

  it("refuses a scenario whose live block is wrong, naming each field", async () => {
    const scenario = new URL("./fixtures/bad-live.ts", import.meta.url).pathname;
    const r = await run(["load", scenario, "--config", "adaptive"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("live.maxVUs: must be >= 1, got 0");
    expect(r.stderr).toContain("live.abortOnFail: must be true, false or a list of metric names");
  });
});
