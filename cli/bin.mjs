#!/usr/bin/env node
// The installed `rushhour` command: registers tsx so the TypeScript sources (and users' scenario
// files) run without a build step, then hands over to cli/main.ts.
import { register } from "tsx/esm/api";

register();
const { main } = await import("./main.ts");
process.exitCode = await main(process.argv.slice(2));
