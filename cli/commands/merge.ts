// `rushhour merge`: joins the partial RunResults of a sharded run (load --segment, sim --shard) into one
// RunResult per configuration (workflows/merge.ts), judges the thresholds on it and says how they went; or
// the shards of a capacity search or of a tune run into their report.
import { InputError } from "../../reports/load-runs.ts";
import { FontMissingError } from "../../reports/png.ts";
import { MergeError } from "../../results/merge.ts";
import { capacitySummary } from "../../workflows/capacity.ts";
import { CapacityMergeError } from "../../workflows/capacity-shard.ts";
import {
  mergeCapacityFiles,
  mergeShardFiles,
  mergeTuneFiles,
  type ShardFiles,
  shardFilesIn,
} from "../../workflows/merge.ts";
import { tuneSummary } from "../../workflows/tune-report.ts";
import { TuneMergeError } from "../../workflows/tune-shard.ts";
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

The shards of a tune run (rushhour tune --shard I/N, each its own --out folder with its tune.json) are
joined into its tuning report: <out>/index.html, tuning.md, tune.json, charts and
recommended-config.json, and the findings are printed as rushhour tune prints them. The best is the
best of the shards' bests (every shard raced its slice on the same seeds), compared again with every
shard's finalists; sensitivity and the Pareto front are worked out over every shard's candidates.
Refuses shards of different runs (scenarios, seed, space, base, the current configurations' results,
shard count, design size), a shard given twice, a missing shard and an unsharded tune.json. Tune
shards given together with RunResults or capacity shards are refused: merge one kind at a time.

Options:
  --out DIR    output folder (required)
  -h, --help   show this help

Exit codes: 0 merged and every threshold passed, 1 a threshold failed, 2 bad usage or shards that do not fit.
`;

export const mergeCommand: Command = {
  name: "merge",
  summary:
    "join the partial RunResults of a sharded run (load --segment, sim --shard) exactly, or a sharded capacity search or tune run",
  help,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, { out: { type: "string" } });
    if (positionals.length === 0) throw new UsageError("give the shard files or folders to merge");
    if (values.out === undefined)
      throw new UsageError("--out DIR is required (where the merged RunResults go)");
    checkOutFlag(values.out);
    const found = shardFilesIn(positionals);
    if (found.tune.length > 0) return mergeTune(found, values.out);
    const capacityShards = found.capacity;
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

/** `rushhour merge` of tune shards: only tune.json files may be given (a mix is named, kind by kind). */
function mergeTune(found: ShardFiles, out: string): number {
  const kinds = [
    ["tune shards (tune.json)", found.tune.map((t) => t.source)],
    ["capacity shards", found.capacity.map((c) => c.source)],
    ["RunResults", found.runResults],
  ] as const;
  const given = kinds.filter(([, files]) => files.length > 0);
  if (given.length > 1) {
    throw new UsageError(
      `the files given hold ${given.map(([kind, files]) => `${kind}: ${files.length} (${files[0]}${files.length > 1 ? ", ..." : ""})`).join("; ")}; merge one kind at a time`,
    );
  }
  if (found.missing.length > 0) throw new UsageError(`${found.missing[0]}: no such file or folder`);
  if (found.other.length > 0)
    throw new UsageError(`${found.other[0]}: not a tune.json (the other files given are tune shards)`);
  let done: ReturnType<typeof mergeTuneFiles>;
  try {
    done = mergeTuneFiles(found.tune, out);
  } catch (err) {
    if (err instanceof TuneMergeError || err instanceof FontMissingError) throw new UsageError(err.message);
    throw err;
  }
  const r = done.report;
  const files = [
    done.files.html,
    done.files.markdown,
    done.files.json,
    ...(done.files.config ? [done.files.config] : []),
  ];
  process.stdout.write(
    `${r.scenarios.join(", ")} (from ${r.base}): ${done.shards} tune shards\n${tuneSummary(r)
      .map((l) => `  ${l}`)
      .join("\n")}\nwrote:\n${files.map((f) => `  ${f}`).join("\n")}\n`,
  );
  return EXIT.ok;
}
