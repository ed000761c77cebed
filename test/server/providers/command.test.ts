// `rushhour providers` refuses bad input with a usage error that says what is wrong.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "../../../cli/command.ts";
import { providersCommand } from "../../../cli/commands/providers.ts";

const dir = mkdtempSync(join(tmpdir(), "rushhour-providers-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("rushhour providers flags", () => {
  it("refuses bad counts, ports and combinations", async () => {
    const cases: [string[], RegExp][] = [
      [["--count", "0"], /--count must be a whole number in \[1, 256\]/],
      [["--port", "99999"], /--port must be a whole number/],
      [["--count", "2", "--spec", "x.json"], /give --count or --spec, not both/],
      [["extra"], /unexpected argument "extra"/],
    ];
    for (const [args, message] of cases) {
      const run = providersCommand.run(args);
      await expect(run).rejects.toThrow(message);
      await expect(run).rejects.toBeInstanceOf(UsageError);
    }
  });

  it("names every wrong field of a spec file", async () => {
    const spec = join(dir, "bad.json");
    writeFileSync(
      spec,
      JSON.stringify({ providers: [{ id: "a", p50Ms: 10, p99Ms: 5, capacity: 0, errorRate: 0, extra: 1 }] }),
    );
    const run = providersCommand.run(["--spec", spec]);
    await expect(run).rejects.toThrow(/providers\[0\]\.capacity/);
    await expect(run).rejects.toThrow(/providers\[0\]\.p99Ms/);
  });
});
