import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { groupByScenario } from "../../reports/load-runs.ts";
import { verdictLine } from "../../reports/markdown.ts";
import { progressBar } from "../../reports/progress.ts";
import { writeReport } from "../../reports/write-report.ts";
import { BUILTIN_SCENARIOS } from "../../scenarios/define.ts";
import { discoverScenarios, liveRunner, runSuite } from "../../workflows/suite.ts";
import { numberFlag, parseCommandArgs } from "../args.ts";
import { type Command, EXIT, UsageError } from "../command.ts";
import { checkOutFlag } from "../errors.ts";

export const demo: Command = {
  name: "demo",
  summary:
    "the main job on the embedded defaults: simulated suite (legacy vs adaptive), a short live run, a report",
  help: `Usage: rushhour demo [--out DIR] [--replications N] [--no-live]

Runs every built-in scenario (${BUILTIN_SCENARIOS.join(", ")}) in simulation with its baseline
(legacy) and candidate (adaptive) configurations, plus a short live run (scenarios/demo/live-outage.ts: 150 orders/s, one
provider timing out) against an embedded server on 127.0.0.1, legacy then adaptive, then writes one report and prints its path and the verdicts.
Takes under 3 minutes on a 2-core machine with the defaults. \`npm run demo\` runs this.

Options:
  --out DIR           output folder                                  default out/demo
  --replications N    simulated replications per configuration       default 1
  --no-live           skip the live run

Exit codes: 0 done, 2 bad usage.
`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      out: { type: "string" },
      replications: { type: "string" },
      "no-live": { type: "boolean" },
    });
    checkOutFlag(values.out);
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const replications = numberFlag("replications", values.replications, 1);
    if (!Number.isInteger(replications) || replications < 1 || replications > 20) {
      throw new UsageError(
        `--replications must be an integer between 1 and 20, got "${values.replications}"`,
      );
    }
    const out = values.out ?? "out/demo";
    const t0 = performance.now();
    const scenarios = await discoverScenarios(
      // Only the built-ins that exist in this build (scenario files land one by one).
      BUILTIN_SCENARIOS.filter(existsBuiltin),
    );
    const bar = progressBar("demo");
    const sim = await runSuite(scenarios, {
      mode: "sim",
      replications,
      roles: ["baseline", "candidate"],
      out,
      report: false,
      command: ["rushhour", "demo", ...argv],
      onProgress: (label, f) => bar.update(Math.round(f * 1000), 1000, label),
    });
    bar.stop();
    const runs = [...sim.runs];
    let liveNote = "live run skipped (--no-live)";
    if (!values["no-live"]) {
      const liveScenarios = await discoverScenarios([
        fileURLToPath(new URL("../../scenarios/demo/live-outage.ts", import.meta.url)),
      ]);
      const liveBar = progressBar("demo live");
      const live = await runSuite(liveScenarios, {
        mode: "load",
        replications: 1,
        roles: ["baseline", "candidate"],
        out,
        report: false,
        live: liveRunner(),
        onProgress: (label) => liveBar.update(0, 1, label),
      });
      liveBar.stop();
      runs.push(...live.runs);
      const stack = liveScenarios[0]!.cluster.backupDeployed ? "a primary and a backup server" : "one server";
      liveNote = `live run: ${liveScenarios[0]!.description} (legacy, then adaptive, on a local stack: ${stack})`;
    }
    const files = writeReport(runs, out, { title: "rushhour demo" });
    const lines = groupByScenario(runs)
      .filter((g) => g.comparison)
      .map((g) => `  ${verdictLine(g.comparison!)}`);
    const seconds = ((performance.now() - t0) / 1000).toFixed(0);
    process.stdout.write(
      `rushhour demo: ${scenarios.length} scenarios simulated, ${liveNote}, ${seconds} s\n${lines.join("\n")}\n` +
        `report: ${resolve(files.html)}\n`,
    );
    return EXIT.ok;
  },
};

function existsBuiltin(name: string): boolean {
  return existsSync(new URL(`../../scenarios/${name}.ts`, import.meta.url));
}
