// The command list is lazy (cli/commands/index.ts): names and summaries live in the list, the rest
// in each module. This keeps the two from drifting apart and checks the top-level help and exit codes.
import { describe, expect, it } from "vitest";
import { commands } from "../../cli/commands/index.ts";
import { main, usage } from "../../cli/main.ts";

describe("rushhour command list", () => {
  it("each entry loads the command it names, with the same summary and a help text", async () => {
    for (const entry of commands) {
      const command = await entry.load();
      expect(command.name).toBe(entry.name);
      expect(command.summary).toBe(entry.summary);
      expect(command.help).toMatch(/Usage: rushhour /);
    }
  });

  it("--help lists every command; an unknown command exits 2", async () => {
    const text = usage();
    for (const entry of commands) expect(text).toContain(`  ${entry.name}`);
    const write = process.stderr.write;
    process.stderr.write = () => true;
    try {
      expect(await main(["no-such-command"])).toBe(2);
    } finally {
      process.stderr.write = write;
    }
  });
});
