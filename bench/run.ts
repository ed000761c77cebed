// `npm run bench [-- name...]`: runs every bench/<name>.ts (or only the named ones) in one process,
// one after another, so that each prints its figures and ratios measured side by side (what they
// share is in bench/support/).
// package.json starts it with --max-semi-space-size=64, the flag the `rushhour` command runs with
// (cli/bin.mjs; server/node-flags.ts says why): the core and the simulator are measured as they run.
import { readdirSync } from "node:fs";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const all = readdirSync(here)
  .filter((f) => f.endsWith(".ts") && f !== "run.ts" && !f.endsWith(".d.ts"))
  .map((f) => basename(f, ".ts"))
  .sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !all.includes(w));
if (unknown.length > 0) {
  process.stderr.write(`bench: no bench/${unknown.join(".ts, bench/")}.ts; available: ${all.join(", ")}\n`);
  process.exit(2);
}
for (const name of wanted.length > 0 ? wanted : all) {
  const mod = (await import(`./${name}.ts`)) as { run?: () => Promise<void> };
  if (typeof mod.run !== "function") {
    process.stderr.write(`bench: bench/${name}.ts does not export run()\n`);
    process.exitCode = 1;
    continue;
  }
  console.log(`\n== bench/${name}.ts ==`);
  await mod.run();
}
