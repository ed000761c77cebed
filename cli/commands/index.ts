import type { Command } from "../command.ts";
import { providersCommand } from "./providers.ts";
import { serveCommand } from "./serve.ts";
import { simCommand } from "./sim.ts";

/** Every subcommand, in the order `rushhour --help` lists them. Only commands that work are listed. */
export const commands: Command[] = [serveCommand, providersCommand, simCommand];
