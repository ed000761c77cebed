// The source write-up's results table (four rows, before -> after) beside rushhour's figures for the same rows,
// for seed-replay's README table (`rushhour compare --writeup`), so the README's numbers are regenerated, not typed.
// The write-up's figures are its own claims, quoted; rushhour's come from the two runs compared.
import {
  type Comparison,
  directionText,
  formatChange,
  formatValue,
  type MetricKey,
  type MetricRow,
} from "./compare.ts";

interface WriteupRow {
  label: string;
  /** The rushhour row it is set beside (the first one the comparison has). */
  keys: MetricKey[];
  /** As the write-up states them. */
  writeup: string;
}

/** The write-up's table: 峰值处理能力, P99延迟, 人工干预次数, 客户投诉量. */
export const WRITEUP_ROWS: readonly WriteupRow[] = [
  {
    label: "Peak throughput (rushhour: peak goodput)",
    keys: ["goodputPeak", "peakThroughput"],
    writeup: "200/s → 1,500/s",
  },
  { label: "P99 latency", keys: ["p99Ms"], writeup: "7 s → 2 s" },
  { label: "Manual interventions", keys: ["interventionsPerDay"], writeup: "15/day → 1/week" },
  {
    label: "Customer complaints (rushhour: complaint-risk orders)",
    keys: ["complaintRiskPerDay"],
    writeup: "43/day → 6/day",
  },
];

/** The four rows as a Markdown table; a row the runs lack (written before the business rows) says n/a. */
export function writeupTable(c: Comparison): string {
  const lines = [
    `| metric | write-up before → after | rushhour ${c.baseline} → ${c.candidate} | change [95% CI] | direction | verdict |`,
    "| --- | ---: | ---: | ---: | --- | --- |",
  ];
  for (const w of WRITEUP_ROWS) {
    const row = w.keys
      .map((k) => c.rows.find((r) => r.key === k))
      .find((r): r is MetricRow => r !== undefined);
    lines.push(
      row
        ? `| ${w.label} | ${w.writeup} | ${formatValue(row.before, row.unit)} → ${formatValue(row.after, row.unit)} | ` +
            `${formatChange(row)} | ${directionText(row.direction)} | ${row.verdict} |`
        : `| ${w.label} | ${w.writeup} | n/a | n/a | | not tested |`,
    );
  }
  return lines.join("\n");
}
