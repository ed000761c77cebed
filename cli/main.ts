import { readFileSync } from "node:fs";
import { redactStoreUrls } from "../server/store/redact-url.ts";
import { EXIT, UsageError } from "./command.ts";
import { commands } from "./commands/index.ts";
import { oneLine, pathErrorLine, stackOf } from "./errors.ts";

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

export function usage(): string {
  const width = Math.max(8, ...commands.map((c) => c.name.length));
  const list = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n");
  return `rushhour ${version()}: load simulation and capacity planning for card-key order dispatch

Usage: rushhour <command> [options]
       rushhour <command> --help

Commands:
${list || "  (none yet)"}

Options:
  -h, --help     show this help
  -v, --version  print the version
  --verbose      with any command: print the stack trace of an error (errors are one line otherwise)

Exit codes: 0 ok, 1 a threshold or the gate failed, 2 bad usage or input.
`;
}

/** Runs the command line and returns the exit code (the caller sets process.exitCode). */
export async function main(argv: string[]): Promise<number> {
  // --verbose is global: accepted anywhere on the line, and no command sees it.
  const verbose = argv.includes("--verbose");
  const [first, ...rest] = argv.filter((a) => a !== "--verbose");
  if (first === undefined || first === "-h" || first === "--help" || first === "help") {
    const topic = first === "help" ? commands.find((c) => c.name === rest[0]) : undefined;
    process.stdout.write(topic ? (await topic.load()).help : usage());
    return EXIT.ok;
  }
  if (first === "-v" || first === "--version") {
    process.stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  const entry = commands.find((c) => c.name === first);
  if (!entry) {
    process.stderr.write(`rushhour: unknown command "${first}"\n\n${usage()}`);
    return EXIT.usage;
  }
  const command = await entry.load();
  if (rest.includes("-h") || rest.includes("--help")) {
    process.stdout.write(command.help);
    return EXIT.ok;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    // Any message may quote a store URL (a driver error): passwords are redacted everywhere.
    const say = (line: string) => {
      process.stderr.write(`rushhour ${command.name}: ${redactStoreUrls(line)}\n`);
      if (verbose) process.stderr.write(`${redactStoreUrls(stackOf(err))}\n`);
    };
    if (err instanceof UsageError) {
      say(err.message);
      process.stderr.write(`See: rushhour ${command.name} --help\n`);
      return EXIT.usage;
    }
    const pathError = pathErrorLine(err);
    if (pathError !== undefined) {
      say(pathError);
      return EXIT.usage;
    }
    // Anything else is our failure: one line, the stack with --verbose.
    say(`${oneLine(err)}${verbose ? "" : " (run with --verbose for the stack trace)"}`);
    return EXIT.failed;
  }
}

// Run directly (`tsx cli/main.ts ...`), as npm scripts do.
if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
