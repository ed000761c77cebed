// The acceptance check of the report page: opened in headless Debian chromium, every chart is there and drawn,
// nothing logs an error, and a screenshot is written.
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHARTS } from "../../reports/charts/index.ts";
import { loadRuns } from "../../reports/load-runs.ts";
import { writeReport } from "../../reports/write-report.ts";
import { writeRunResult } from "../../results/run-result.ts";
import { syntheticRunResult } from "./run-result-fixture.ts";

const CHROMIUM = "/usr/bin/chromium";

describe.skipIf(!existsSync(CHROMIUM))("the HTML report in headless chromium", () => {
  let dir: string;
  let browser: BrowserContext;
  let html: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "rushhour-report-"));
    for (const scenario of ["promo-peak", "provider-outage"]) {
      writeRunResult(
        join(dir, "runs", `${scenario}.legacy.json`),
        syntheticRunResult({
          scenario,
          config: "legacy",
          role: "baseline",
          seed: 1,
          medianMs: 600,
          peak: 200,
        }),
      );
      writeRunResult(
        join(dir, "runs", `${scenario}.adaptive.json`),
        syntheticRunResult({
          scenario,
          config: "adaptive",
          role: "candidate",
          seed: 1,
          medianMs: 180,
          peak: 1500,
        }),
      );
    }
    html = writeReport(
      loadRuns([join(dir, "runs")]).map((r) => r.view),
      join(dir, "report"),
    ).html;
    // A new, empty profile directory (playwright takes it as an argument, not as --user-data-dir).
    browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "rushhour-chromium-")), {
      executablePath: CHROMIUM,
      viewport: { width: 1100, height: 900 },
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it("shows every chart, drawn, with no console errors and no network, and writes a screenshot", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("request", (r) => {
      if (!r.url().startsWith("file:")) requests.push(r.url());
    });
    await page.goto(`file://${html}`);

    const sections = await page.locator("section[data-scenario]").count();
    expect(sections).toBe(2);
    for (const scenario of ["promo-peak", "provider-outage"]) {
      const section = page.locator(`section[data-scenario="${scenario}"]`);
      for (const chart of CHARTS) {
        const svg = section.locator(`svg[data-chart="${chart.id}"]`);
        expect(await svg.count(), `${scenario} ${chart.id}`).toBe(1);
        const box = await svg.boundingBox();
        expect(box!.width).toBeGreaterThan(300);
        expect(box!.height).toBeGreaterThan(100);
        // Drawn: data marks with real extent, and no "no data" placeholder.
        const marks = await svg.evaluate((el) => {
          let area = 0;
          for (const m of el.querySelectorAll("path.series, rect.state-band")) {
            const b = (m as unknown as { getBBox(): { width: number; height: number } }).getBBox();
            area += b.width * Math.max(b.height, 1);
          }
          return { area, noData: el.querySelectorAll(".no-data").length };
        });
        expect(marks.noData, `${scenario} ${chart.id}`).toBe(0);
        expect(marks.area, `${scenario} ${chart.id}`).toBeGreaterThan(1000);
      }
      const rows = await section.locator("table.before-after tbody tr td:first-child").allTextContents();
      expect(rows).toEqual([
        "Peak goodput",
        "Mean goodput",
        "Peak delivered (raw)",
        "P50 latency",
        "P95 latency",
        "P99 latency",
        "Manual interventions",
        "Complaint-risk orders",
        "CPU peak",
        "Error rate",
        "Retries",
      ]);
    }
    const shot = join(dir, "report", "screenshot.png");
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(50_000);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });

  it("is self-contained: no script, no external reference", () => {
    const text = readFileSync(html, "utf8");
    expect(text).not.toMatch(/<script/i);
    expect(text).not.toMatch(/(src|href)="https?:/i);
    expect(text).not.toMatch(/@import|url\(/i);
  });

  it("writes a PNG per chart, summary.md and summary.json beside the page", () => {
    const pngs = readdirSync(join(dir, "report", "charts")).filter((f) => f.endsWith(".png"));
    expect(pngs.length).toBe(2 * CHARTS.length);
    const md = readFileSync(join(dir, "report", "summary.md"), "utf8");
    expect(md).toMatch(/^- promo-peak: better — goodput [\d,.]+\/s → [\d,.]+\/s \(\+\d+% \[.*\]\), P99 /m);
    const json = JSON.parse(readFileSync(join(dir, "report", "summary.json"), "utf8"));
    expect(json.scenarios[0].comparison.verdict).toBe("better");
  });
});
