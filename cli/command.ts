// One subcommand of `rushhour`. Each lives in its own file under cli/commands/ and is listed in
// cli/commands/index.ts; main.ts knows nothing else about them.

/** Exit codes, documented in `rushhour --help`. */
export const EXIT = {
  ok: 0,
  /** A threshold or the gate failed. */
  failed: 1,
  /** Bad usage or bad input (a scenario, a config, a file). */
  usage: 2,
} as const;

export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** The full `--help` text of the command. */
  help: string;
  run(argv: string[]): Promise<number>;
}

/** Thrown for bad usage or input; main prints the message and exits 2. */
export class UsageError extends Error {
  override name = "UsageError";
}
