import type { Command } from "../command.ts";

/** Every subcommand, in the order `rushhour --help` lists them. Only commands that work are listed. */
export const commands: Command[] = [];
