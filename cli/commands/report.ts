import { resolve } from "node:path";
import { InputError, loadRuns } from "../../reports/load-runs.ts";
import { FontMissingError } from "../../reports/png.ts";
import { progressBar } from "../../reports/progress.ts";
import { writeReport } from "../../reports/write-report.ts";
import { parseCommandArgs } from "../args.ts";
import { type Command, EXIT, UsageError } from "../command.ts";
import { checkOutFlag } from "../errors.ts";

export const report: Command = {
  name: "report",
  summary: "turn RunResult files into an HTML report, PNG charts, summary.md and summary.json",
  help: `Usage: rushhour report <RunResult files or folders...> --out DIR [--title TEXT] [--no-png]

Reads RunResult JSON files (written by \`rushhour sim\` and \`rushhour load\`; a folder means every RunResult
under it) and writes into DIR:
  index.html    one self-contained page (inline SVG charts and CSS, no network, no script): per scenario a
                verdict on goodput and P99, a before/after table (metric | before | after | change [95% CI] |
                direction | verdict: goodput first, raw delivered/s, latencies, manual interventions and
                complaint-risk orders per day, CPU...) and the charts, each with a note on how to read it
  charts/*.png  a PNG copy of every chart (drawn with DejaVu Sans; set RUSHHOUR_FONT to use another .ttf)
  summary.md    the verdicts and tables in Markdown, for a pull request
  summary.json  the same numbers for machines

Runs are grouped by scenario; the run with role "baseline" is "before", "candidate" is "after".

Options:
  --out DIR      output folder (created)            required
  --title TEXT   page title                          default "rushhour report"
  --no-png       skip the PNG copies

Exit codes: 0 written, 2 bad usage or an unreadable/invalid RunResult.
`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      out: { type: "string" },
      title: { type: "string" },
      "no-png": { type: "boolean" },
    });
    if (!values.out) throw new UsageError("--out DIR is required");
    checkOutFlag(values.out);
    if (positionals.length === 0) throw new UsageError("give at least one RunResult file or folder");
    const runs = loadOrUsage(positionals);
    const bar = progressBar("charts");
    try {
      const files = writeReport(
        runs.map((r) => r.view),
        values.out,
        {
          ...(values.title ? { title: values.title } : {}),
          png: !values["no-png"],
          onChart: (done, total) => bar.update(done, total),
        },
      );
      bar.stop();
      process.stdout.write(`${resolve(files.html)}\n`);
      return EXIT.ok;
    } catch (err) {
      bar.stop();
      if (err instanceof FontMissingError) throw new UsageError(err.message);
      throw err;
    }
  },
};

export function loadOrUsage(paths: string[]) {
  try {
    return loadRuns(paths);
  } catch (err) {
    if (err instanceof InputError) throw new UsageError(err.message);
    throw err;
  }
}
