// `rushhour traffic <log>`: what an order log holds, over time (arrival rate, VIP share, top SKUs) as PNG
// charts and an HTML page, and the per-minute demand history the prewarm forecaster reads
// (demandHistory: { kind: "file" }). With --from-store it first converts a server's ledger into a log.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ledgerToLog } from "../../load/ledger-log.ts";
import { findFont, svgToPng } from "../../reports/png.ts";
import { trafficCharts, trafficHtml } from "../../reports/traffic-log.ts";
import { StoreUrlError } from "../../server/store/open.ts";
import { type ColumnMapping, LOG_FIELDS, type LogField, OrderLogError } from "../../traffic/replay/format.ts";
import { summarizeLog } from "../../traffic/replay/summary.ts";
import { parseCommandArgs } from "../args.ts";
import { type Command, EXIT, UsageError } from "../command.ts";
import { checkOutFlag } from "../errors.ts";
import { recordFlag } from "../record-flag.ts";

const help = `Usage: rushhour traffic <log> [--out DIR] [--top N] [--format csv|jsonl] [--columns MAP] [--read-ahead N]
       rushhour traffic --from-store URL --write FILE [--out DIR] [--top N]

Reads an order log (scenarios/README.md, "Order logs": CSV or JSON Lines, optionally gzip; one order a line
with its time, SKU and tier) and prints its orders, span, mean and busiest-second rate, VIP share and top
SKUs. Writes to DIR: arrival-rate.png (orders per second), tier-mix.png (VIP share over time),
top-skus.png (the top SKUs' shares over time), index.html (the same charts and figures), and
demand-history.json: orders per minute, the file a scenario's demandHistory { kind: "file", path } feeds
to the prewarm forecaster.

Options:
  --out DIR            output folder (default out/traffic)
  --top N              SKUs charted and listed (default 5, at most 10)
  --format F           csv or jsonl (default: from the file name; .jsonl/.ndjson are JSON Lines)
  --columns MAP        where the fields are: time=ts,sku=product,tier=segment (header or JSON names), or
                       time=1,sku=2,tier=3 (1-based column numbers of a header-less CSV)
  --read-ahead N       records held to re-sort a slightly out-of-order log (default 10000)
  --from-store URL     convert a server's ledger (sqlite:FILE or postgres://...) into an order log first:
                       every accepted order in acceptance order, with its key and client
  --write FILE         the order log --from-store writes (CSV; gzip when FILE ends in .gz)
  -h, --help           show this help

Exit codes: 0 done, 2 bad usage or a bad log (the message names the line).
`;

function columnsFlag(value: string | undefined): { columns?: ColumnMapping; header?: boolean } {
  if (value === undefined) return {};
  const columns: ColumnMapping = {};
  let numbers = 0;
  for (const part of value.split(",")) {
    const [field, where] = part.split("=").map((s) => s.trim());
    if (!LOG_FIELDS.includes(field as LogField) || !where) {
      throw new UsageError(
        `--columns must be FIELD=NAME or FIELD=NUMBER pairs (fields: ${LOG_FIELDS.join(", ")}), got "${part}"`,
      );
    }
    const n = Number(where);
    if (Number.isInteger(n) && n >= 1) numbers++;
    columns[field as LogField] = Number.isInteger(n) && n >= 1 ? n : where;
  }
  return numbers > 0 ? { columns, header: false } : { columns };
}

export const trafficCommand: Command = {
  name: "traffic",
  summary: "chart an order log (rate, tier mix, top SKUs over time) and write its per-minute demand history",
  help,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      out: { type: "string" },
      top: { type: "string" },
      format: { type: "string" },
      columns: { type: "string" },
      "read-ahead": { type: "string" },
      "from-store": { type: "string" },
      write: { type: "string" },
    });
    checkOutFlag(values.out);
    const fromStore = values["from-store"];
    if (fromStore !== undefined && values.write === undefined)
      throw new UsageError("--from-store needs --write FILE (the order log to write)");
    if (fromStore === undefined && values.write !== undefined)
      throw new UsageError("--write needs --from-store URL");
    if (fromStore === undefined && positionals.length !== 1)
      throw new UsageError("give exactly one order log");
    if (fromStore !== undefined && positionals.length > 0)
      throw new UsageError(`give either a log or --from-store, not both (got "${positionals[0]}")`);
    const top = values.top === undefined ? 5 : Number(values.top);
    if (!Number.isInteger(top) || top < 1 || top > 10)
      throw new UsageError(`--top must be 1..10, got "${values.top}"`);
    const format = values.format;
    if (format !== undefined && format !== "csv" && format !== "jsonl")
      throw new UsageError(`--format must be csv or jsonl, got "${format}"`);
    const readAhead = values["read-ahead"] === undefined ? 10_000 : Number(values["read-ahead"]);
    if (!Number.isInteger(readAhead) || readAhead < 1 || readAhead > 1_000_000)
      throw new UsageError(`--read-ahead must be 1..1000000, got "${values["read-ahead"]}"`);
    const mapping = columnsFlag(values.columns);
    const out = resolve(values.out ?? "out/traffic");

    let file: string;
    if (fromStore !== undefined) {
      file = recordFlag(values.write as string);
      try {
        const n = await ledgerToLog(fromStore, file);
        process.stdout.write(`wrote ${n} orders from the ledger to ${file}\n`);
      } catch (err) {
        if (err instanceof StoreUrlError) throw new UsageError(`--from-store: ${err.message}`);
        throw new UsageError(`--from-store ${fromStore}: ${(err as Error).message}`);
      }
      if (!(await import("node:fs")).statSync(file).size) throw new UsageError(`${file}: nothing written`);
    } else {
      file = resolve(positionals[0] as string);
    }
    let summary: ReturnType<typeof summarizeLog>;
    try {
      summary = summarizeLog(file, { ...(format ? { format } : {}), ...mapping, readAhead }, top);
    } catch (err) {
      if (err instanceof OrderLogError || err instanceof Error) throw new UsageError((err as Error).message);
      throw err;
    }
    mkdirSync(out, { recursive: true });
    const history = join(out, "demand-history.json");
    writeFileSync(history, `${JSON.stringify(summary.perMinute)}\n`);
    const charts = trafficCharts(summary);
    const font = findFont();
    for (const c of charts) writeFileSync(join(out, `${c.id}.png`), svgToPng(c.svg, font));
    writeFileSync(join(out, "index.html"), trafficHtml(summary, charts, "demand-history.json"));

    const spanS = (summary.lastT - summary.firstT) / 1000;
    const lines = [
      `${file}`,
      `  orders          ${summary.orders}`,
      `  first order     ${new Date(summary.firstT).toISOString()}`,
      `  span            ${spanS.toFixed(1)} s`,
      `  mean rate       ${(spanS > 0 ? summary.orders / spanS : summary.orders).toFixed(1)} orders/s`,
      `  busiest second  ${Math.max(...summary.perSecond)} orders`,
      `  VIP share       ${((100 * summary.vip) / summary.orders).toFixed(2)}%`,
      `  SKUs            ${summary.skus}; top: ${summary.top.map((t) => `${t.sku} ${((100 * t.orders) / summary.orders).toFixed(1)}%`).join(", ")}`,
      `wrote:`,
      ...charts.map((c) => `  ${join(out, `${c.id}.png`)}`),
      `  ${join(out, "index.html")}`,
      `  ${history} (${summary.perMinute.length} minutes; demandHistory: { kind: "file", path: ... })`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    return EXIT.ok;
  },
};
