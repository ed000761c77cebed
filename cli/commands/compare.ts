import { compareRuns, methodNote, RANK_BASIS } from "../../reports/compare.ts";
import { pairRuns } from "../../reports/gate.ts";
import { comparisonTable, formatP, verdictLine } from "../../reports/markdown.ts";
import { writeupTable } from "../../reports/writeup.ts";
import { parseCommandArgs } from "../args.ts";
import { type Command, EXIT, UsageError } from "../command.ts";
import { loadOrUsage } from "./report.ts";

export const compare: Command = {
  name: "compare",
  summary: "compare a baseline run with a candidate: better, worse or no significant change",
  help: `Usage: rushhour compare <baseline> <candidate> [--json | --writeup]

<baseline> and <candidate> are RunResult files or folders of them (runs are paired by scenario and
configuration). For each pair the first line is the verdict on goodput (orders delivered within the
scenario's latency objective per second, the headline throughput) and P99 latency:
  better | worse | no significant change
(worse when either is worse, better when one is better and neither worse)
followed by the before/after table and the statistics behind it:
  - P99 delta with a 95% bootstrap confidence interval over replications, paired by seed when both runs used
    the same seeds (common random numbers); with one replication per side, the interval comes from the
    order statistics of each whole-run HDR histogram instead.
  - a rank test: Mann-Whitney U on latency samples drawn deterministically from each whole-run HDR histogram
    (up to 2,000 values at evenly spaced ranks), with P(candidate slower) and Cliff's delta as effect size.
A metric's verdict is "worse" or "better" only when its interval excludes zero. The table also carries raw
peak delivered/s, manual interventions and complaint-risk orders per day, CPU, errors and retries, each with
the direction that is better.

Options:
  --json      print the comparisons as JSON instead
  --writeup   print only the write-up's four rows (peak throughput, P99, manual interventions, complaints)
              with the write-up's before -> after beside rushhour's, as Markdown (seed-replay's README table)

Exit codes: 0 compared (whatever the verdict; use \`rushhour gate\` to fail a build), 2 bad usage or input.
`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      json: { type: "boolean" },
      writeup: { type: "boolean" },
    });
    if (values.json && values.writeup) throw new UsageError("give --json or --writeup, not both");
    if (positionals.length !== 2) throw new UsageError("give exactly two paths: <baseline> <candidate>");
    const base = loadOrUsage([positionals[0]!]).map((r) => r.view);
    const cand = loadOrUsage([positionals[1]!]).map((r) => r.view);
    const { pairs, unpairedBaselines, unpairedCandidates } = pairRuns(base, cand);
    if (pairs.length === 0)
      throw new UsageError("no baseline and candidate runs of the same scenario to compare");
    const comparisons = pairs.map((p) => compareRuns(p.baseline, p.candidate));
    if (values.json) {
      process.stdout.write(`${JSON.stringify(comparisons, null, 2)}\n`);
      return EXIT.ok;
    }
    if (values.writeup) {
      process.stdout.write(`${comparisons.map((c) => writeupTable(c)).join("\n\n")}\n`);
      return EXIT.ok;
    }
    const out: string[] = comparisons.map((c) => verdictLine(c));
    for (const c of comparisons) {
      out.push("", `## ${c.scenario}: ${c.baseline} -> ${c.candidate}`, "", comparisonTable(c), "");
      out.push(`P99 interval: ${methodNote(c.p99)}.`);
      if (c.rank) {
        out.push(
          `Rank test: ${formatP(c.rank.p)}, P(candidate slower) = ${c.rank.probabilityOfSuperiority.toFixed(3)}, ` +
            `Cliff's delta = ${c.rank.cliffsDelta.toFixed(3)}, n = ${c.rank.n.baseline} + ${c.rank.n.candidate}.`,
          `(${RANK_BASIS}.)`,
        );
      }
    }
    for (const r of unpairedBaselines) out.push(`not compared (baseline only): ${r.label}`);
    for (const r of unpairedCandidates) out.push(`not compared (candidate only): ${r.label}`);
    process.stdout.write(`${out.join("\n")}\n`);
    return EXIT.ok;
  },
};
