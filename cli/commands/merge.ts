// `rushhour merge`: joins the partial RunResults of a sharded run (load --segment, sim --shard) into one
// RunResult per configuration (workflows/merge.ts), judges the thresholds on it and says how they went.
import { InputError } from "../../reports/load-runs.ts";
import { FontMissingError } from "../../reports/png.ts";
import { MergeError } from "../../results/merge.ts";
import { capacitySummary } from "../../workflows/capacity.ts";
import { CapacityMergeError } from "../../workflows/capacity-shard.ts";
import { capacityShardsIn, mergeCapacityFiles, mergeShardFiles } from "../../workflows/merge.ts";
import { parseCommandArgs } from "../args.ts";
import { type Command, EXIT, UsageError } from "../command.ts";
import { checkOutFlag } from "../errors.ts";

const help = `Usage: rushhour merge <shard files or folders...> --out DIR

Joins the partial RunResults of a sharded run, written by rushhour load --segment I/N (one per driver
process or pod) or rushhour sim --shard I/N, into one RunResult per configuration, exactly: HDR
histograms are added per window and for the whole run (the merged P99 is the P99 of every shard's
latencies together), counters summed, the servers' figures (CPU, queues, providers) taken from shard 0,
which alone reads them, events interleaved by time. Simulation shards merge into the same bytes as the
unsharded run (provenance aside). Thresholds are judged again on the merged result; report, compare and
gate read it like any other (they refuse a lone shard).

Refuses shards of different runs (scenario, configuration, seeds, schedule, start instant), naming the
field and both files, a shard given twice, and a run with a shard missing (naming its index).
Writes <out>/<scenario>.<config>.json per configuration.

The shards of a capacity search (rushhour capacity --shard I/N: capacity.shard-I-of-N.json) are joined
into its report instead: <out>/index.html, charts and capacity.json, the best rate being the highest
grid rate that met the objective below the lowest that missed; shards of different searches and a
missing shard are refused the same way.

Options:
  --out DIR    output folder (required)
  -h, --help   show this help

Exit codes: 0 merged and every threshold passed, 1 a threshold failed, 2 bad usage or shards that do not fit.
`;

export const mergeCommand: Command = {
  name: "merge",
  summary:
    "join the partial RunResults of a sharded run (load --segment, sim --shard) exactly, or a sharded capacity search",
  help,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, { out: { type: "string" } });
    if (positionals.length === 0) throw new UsageError("give the shard files or folders to merge");
    if (values.out === undefined)
      throw new UsageError("--out DIR is required (where the merged RunResults go)");
    checkOutFlag(values.out);
    const capacityShards = capacityShardsIn(positionals);
    if (capacityShards.length > 0) {
      let done: ReturnType<typeof mergeCapacityFiles>;
      try {
        done = mergeCapacityFiles(capacityShards, values.out);
      } catch (err) {
        if (err instanceof CapacityMergeError || err instanceof FontMissingError)
          throw new UsageError(err.message);
        throw err;
      }
      process.stdout.write(
        `${done.report.scenario} (${done.report.config}): ${done.shards} capacity shards\n${capacitySummary(
          done.report,
        )
          .map((l) => `  ${l}`)
          .join("\n")}\nwrote:\n  ${done.files.html}\n  ${done.files.json}\n`,
      );
      return EXIT.ok;
    }
    let merged: ReturnType<typeof mergeShardFiles>;
    try {
      merged = mergeShardFiles(positionals, values.out);
    } catch (err) {
      if (err instanceof InputError || err instanceof MergeError) throw new UsageError(err.message);
      throw err;
    }
    let failed = 0;
    for (const m of merged) {
      const r = m.result;
      const bad = r.thresholds.filter((t) => !t.pass);
      failed += bad.length;
      process.stdout.write(
        `${r.scenario.name} ${r.config.name} (${r.config.role}): ${m.shards} shards, ${r.counters.submitted} submitted, ` +
          `${r.counters.delivered} delivered, P99 ${r.summary.p99.mean} ms, thresholds ${
            r.thresholds.length === 0 ? "-" : bad.length === 0 ? "pass" : `${bad.length} FAILED`
          }\n`,
      );
      for (const t of bad) {
        process.stdout.write(
          `threshold failed: ${r.config.name} ${t.metric} ${t.expression} (observed ${t.observed ?? "n/a"})\n`,
        );
      }
    }
    process.stdout.write(`wrote:\n${merged.map((m) => `  ${m.file}`).join("\n")}\n`);
    return failed > 0 ? EXIT.failed : EXIT.ok;
  },
};
