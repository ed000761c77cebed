// `rushhour traffic`: an order log's figures, charts and per-minute demand history (which the scenario
// loader accepts as a demandHistory file), and the ledger -> order-log converter on real SQLite and
// PostgreSQL ledgers written by the server's own store (issue 14).
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { EXIT } from "../../cli/command.ts";
import { main } from "../../cli/main.ts";
import { ledgerToLog } from "../../load/ledger-log.ts";
import { loadDemandHistory } from "../../scenarios/demand.ts";
import { acceptedOrder } from "../../server/store/ledger-order.ts";
import { openStore } from "../../server/store/open.ts";
import { OrderedRecords } from "../../traffic/replay/ordered.ts";
import { startTestPostgres, type TestPostgres } from "../support/pg.ts";
import { tempDir, writeLog } from "../traffic/replay/helpers.ts";

const tmp = tempDir();
let pgServer: TestPostgres;
beforeAll(async () => {
  pgServer = await startTestPostgres();
}, 120_000);
afterAll(async () => {
  await pgServer?.stop();
  tmp.remove();
});

async function run(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const into = (list: string[]) => (chunk: unknown) => {
    list.push(String(chunk));
    return true;
  };
  const o = vi.spyOn(process.stdout, "write").mockImplementation(into(out));
  const e = vi.spyOn(process.stderr, "write").mockImplementation(into(err));
  try {
    const status = await main(["traffic", ...args]);
    return { status, stdout: out.join(""), stderr: err.join("") };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe("rushhour traffic", () => {
  it("prints the log's figures and writes the charts, the page and the per-minute demand history", async () => {
    // Minute 0: 3 orders (2 VIP), minute 1: none, minute 2: 2 orders; times out of line order.
    const t0 = Date.UTC(2025, 10, 28, 20);
    const lines = [
      [t0 + 1_000, "a", "vip"],
      [t0 + 500, "a", "standard"],
      [t0 + 1_200, "b", "vip"],
      [t0 + 120_000, "a", "standard"],
      [t0 + 150_000, "c", "standard"],
    ];
    const log = writeLog(
      tmp.dir,
      "mini.csv.gz",
      `time,sku,tier\n${lines.map((l) => l.join(",")).join("\n")}\n`,
    );
    const out = join(tmp.dir, "out");
    const r = await run([log, "--out", out, "--top", "2"]);
    expect(r.status, r.stderr).toBe(EXIT.ok);
    expect(r.stdout).toContain("orders          5");
    expect(r.stdout).toContain("busiest second  2 orders");
    expect(r.stdout).toContain("VIP share       40.00%");
    expect(r.stdout).toContain("top: a 60.0%, b 20.0%");
    for (const f of ["arrival-rate.png", "tier-mix.png", "top-skus.png", "index.html"])
      expect(statSync(join(out, f)).size, f).toBeGreaterThan(1000);
    expect(readFileSync(join(out, "index.html"), "utf8")).toContain("<svg");
    const historyFile = join(out, "demand-history.json");
    expect(JSON.parse(readFileSync(historyFile, "utf8"))).toEqual([3, 0, 2]);
    // The forecaster's loader takes it as it is.
    expect(loadDemandHistory({ kind: "file", path: historyFile }, 1, null)).toEqual([3, 0, 2]);
  }, 60_000);

  it("a bad log line exits 2 naming it", async () => {
    const log = writeLog(tmp.dir, "bad.csv", "time,sku,tier\n1,a,vip\n2,,vip\n");
    const r = await run([log, "--out", join(tmp.dir, "bad-out")]);
    expect(r.status).toBe(EXIT.usage);
    expect(r.stderr).toContain(`${log}:3: sku is missing`);
    expect(existsSync(join(tmp.dir, "bad-out"))).toBe(false);
  });
});

describe("ledger -> order log", () => {
  const orders = [
    {
      orderId: "o-2",
      idempotencyKey: "k2",
      sku: "sku-2",
      tier: "vip" as const,
      acceptedAt: 2_000,
      clientId: "shop-a",
    },
    { orderId: "o-1", idempotencyKey: "k1", sku: "sku-1", tier: "standard" as const, acceptedAt: 1_000 },
    { orderId: "o-3", idempotencyKey: "k3", sku: "sku-1", tier: "standard" as const, acceptedAt: 2_000 },
  ];

  async function convert(url: string, name: string) {
    const store = await openStore(url);
    try {
      for (const o of orders) await store.recordOrder(acceptedOrder(o));
    } finally {
      await store.close();
    }
    const file = join(tmp.dir, name);
    expect(await ledgerToLog(url, file)).toBe(3);
    const r = new OrderedRecords(file, {});
    const got = [];
    for (let x = r.next(); x !== null; x = r.next()) got.push([x.t, x.sku, x.tier, x.key, x.customer]);
    // Acceptance order; ties by order id.
    expect(got).toEqual([
      [1_000, "sku-1", "standard", "k1", undefined],
      [2_000, "sku-2", "vip", "k2", "shop-a"],
      [2_000, "sku-1", "standard", "k3", undefined],
    ]);
  }

  it("converts a SQLite ledger", async () => {
    await convert(`sqlite:${join(tmp.dir, "ledger.db")}`, "from-sqlite.csv.gz");
  });

  it("converts a PostgreSQL ledger", async () => {
    await convert(await pgServer.freshStoreUrl(), "from-pg.csv");
  }, 60_000);

  it("through the command: --from-store writes the log, then charts it", async () => {
    const url = `sqlite:${join(tmp.dir, "ledger.db")}`;
    const file = join(tmp.dir, "cmd.csv");
    const r = await run(["--from-store", url, "--write", file, "--out", join(tmp.dir, "cmd-out")]);
    expect(r.status, r.stderr).toBe(EXIT.ok);
    expect(r.stdout).toContain(`wrote 3 orders from the ledger to ${file}`);
    expect(r.stdout).toContain("orders          3");
    const missing = await run(["--from-store", `sqlite:${join(tmp.dir, "nope.db")}`, "--write", file]);
    expect(missing.status).toBe(EXIT.usage);
    expect(missing.stderr).toMatch(/--from-store sqlite:.*nope\.db/);
  });
});
