#!/usr/bin/env -S node --max-semi-space-size=64
// (The flag: a server's short-lived per-order objects die young instead of filling the old
// generation; see server/node-flags.ts, which the package's own spawns use.)
// The installed `rushhour` command: registers tsx so the TypeScript sources (and users' scenario
// files) run without a build step, then hands over to cli/main.ts.
import { register } from "tsx/esm/api";

register();
const { main } = await import("./main.ts");
process.exitCode = await main(process.argv.slice(2));
