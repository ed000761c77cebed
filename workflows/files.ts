// Where a workflow writes its RunResults: one file per scenario and configuration, named the same way by
// `rushhour sim`, `rushhour load` and the suite.
import { join } from "node:path";
import { fileSafe } from "../results/file-names.ts";

/** `<dir>/<scenario>.<config>.json`, or `.load.json` for a live run kept beside simulated ones (the suite). */
export function runFile(dir: string, scenario: string, config: string, suffix = ""): string {
  return join(dir, `${scenario}.${fileSafe(config)}${suffix}.json`);
}
