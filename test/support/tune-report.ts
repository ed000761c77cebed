// What a tuning report folder holds (workflows/tune-report.ts writes it), checked the same way after
// `rushhour tune` and after `rushhour merge` of tune shards.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";

export function expectTuneReportFiles(out: string): void {
  for (const f of [
    "index.html",
    "tuning.md",
    "tune.json",
    "recommended-config.json",
    "charts/sensitivity-1.png",
  ])
    expect(existsSync(join(out, f)), f).toBe(true);
}
