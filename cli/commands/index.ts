import type { Command } from "../command.ts";
import { capacity } from "./capacity.ts";
import { compare } from "./compare.ts";
import { demo } from "./demo.ts";
import { gate } from "./gate.ts";
import { loadCommand } from "./load.ts";
import { profileCommand } from "./profile.ts";
import { providersCommand } from "./providers.ts";
import { report } from "./report.ts";
import { serveCommand } from "./serve.ts";
import { simCommand } from "./sim.ts";
import { suite } from "./suite.ts";

/** Every subcommand, in the order `rushhour --help` lists them. Only commands that work are listed. */
export const commands: Command[] = [
  serveCommand,
  providersCommand,
  simCommand,
  loadCommand,
  suite,
  report,
  compare,
  gate,
  capacity,
  profileCommand,
  demo,
];
