// Issue 14: the simulator and the live driver replay an order log as the same sequence of (SKU, tier),
// in the log's time order (re-sorted within the read-ahead), and `load --record` writes exactly what was
// sent. The log is a short slice of the shipped generator's promotion (jittered, so not in line order).

import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mergeSentParts, partPath, SentOrderPart } from "../../load/record.ts";
import { runLoad } from "../../load/run-load.ts";
import { PROMO_LOG_DEFAULTS, promoLog } from "../../scenarios/logs/promo-log.ts";
import { presetConfig } from "../../server/core/config.ts";
import type { OrderView } from "../../server/core/types.ts";
import { runReplication } from "../../simulator/replication.ts";
import { OrderedRecords } from "../../traffic/replay/ordered.ts";
import { OrderLogWriter } from "../../traffic/replay/writer.ts";
import { replayScenario, tempDir } from "../traffic/replay/helpers.ts";
import { type FixtureServer, startFixtureServer } from "./fixture-server.ts";

const tmp = tempDir();
let server: FixtureServer;
let file: string;
/** The log's (SKU, tier) in time order, as the reader gives them. */
let logged: string[];

beforeAll(async () => {
  server = await startFixtureServer({ latencyMs: 2 });
  file = `${tmp.dir}/short.csv.gz`;
  const out = new OrderLogWriter(file);
  await out.ready();
  for (const o of promoLog({ ...PROMO_LOG_DEFAULTS, orders: 600, seconds: 4 })) out.add(o);
  await out.close();
  const r = new OrderedRecords(file, {});
  logged = [];
  for (let x = r.next(); x !== null; x = r.next()) logged.push(`${x.sku}/${x.tier}`);
});
afterAll(async () => {
  await server.close();
  tmp.remove();
});

const pairs = (list: { sku: string; tier: string }[]) => list.map((o) => `${o.sku}/${o.tier}`);

describe("replay: simulator and live driver", () => {
  it("submit the same (SKU, tier) sequence, the log's, in time order", async () => {
    const scenario = replayScenario({ file, speed: 2 });
    expect(logged.length).toBeGreaterThan(500);
    // The generator's jitter puts lines out of time order: the sequence is the re-sorted one.
    const lineOrder: string[] = [];
    const raw = new OrderedRecords(file, { readAhead: 1 });
    try {
      for (let x = raw.next(); x !== null; x = raw.next()) lineOrder.push(`${x.sku}/${x.tier}`);
    } catch {
      // Out of order beyond a read-ahead of 1, as intended.
    }
    expect(lineOrder).not.toEqual(logged);

    const terminal: OrderView[] = [];
    runReplication({
      scenario,
      traffic: scenario.traffic,
      cluster: scenario.cluster,
      config: presetConfig("adaptive")!,
      seed: 1,
      detailed: false,
      onTerminal: (v) => terminal.push(v),
    });
    // Simulated order ids are o1, o2, ... in submission order.
    terminal.sort((a, b) => Number(a.orderId.slice(1)) - Number(b.orderId.slice(1)));
    expect(pairs(terminal)).toEqual(logged);

    // Live, at half the durations (--duration-scale 0.5), one engine: the fixture
    // server sees the requests in the order they were sent.
    const before = server.requests().length;
    const record = `${tmp.dir}/sent.csv`;
    const { result } = await runLoad({
      scenario: { ...scenario, live: { workers: 0 } },
      arm: { name: "adaptive", role: "single", definition: {} },
      target: { addresses: [server.address], adminToken: null },
      durationScale: 0.5,
      command: ["x"],
      record,
    });
    expect(result.counters).toMatchObject({ submitted: logged.length, dropped: 0 });
    const received = server.requests().slice(before);
    expect(received.map((r) => `${r.sku}/${r.tier === 2 ? "vip" : "standard"}`)).toEqual(logged);

    // load --record wrote what was sent, at the intended times: the log's gaps / speed 2 * scale 0.5.
    const sent = new OrderedRecords(record, { readAhead: 1 });
    const got: string[] = [];
    const times: number[] = [];
    for (let x = sent.next(); x !== null; x = sent.next()) {
      got.push(`${x.sku}/${x.tier}`);
      times.push(x.t);
    }
    expect(got).toEqual(logged);
    expect(new Set(received.map((r) => r.idempotencyKey)).size).toBe(logged.length);
    const source = new OrderedRecords(file, {});
    const recorded: number[] = [];
    for (let x = source.next(); x !== null; x = source.next()) recorded.push(x.t);
    const span = (t: number[]) => (t[t.length - 1] as number) - (t[0] as number);
    expect(span(times)).toBeCloseTo(span(recorded) / 4, 0);
  }, 60_000);

  it("load --record merges the engines' parts by iteration index", async () => {
    const record = `${tmp.dir}/merged.csv.gz`;
    // Two engines: iterations 0, 2, 4 and 1, 3 (a tie in time between 1 and 2 stays in index order).
    const a = new SentOrderPart(partPath(record, 0));
    a.add(0, 1000, "x", "vip", "k-0");
    a.add(2, 1010, "z", "standard", "k-2");
    a.add(4, 1030, "x", "standard", "k-4");
    a.close();
    const b = new SentOrderPart(partPath(record, 1));
    b.add(1, 1010, "y", "standard", "k-1");
    b.add(3, 1020, "y", "vip", "k-3");
    b.close();
    expect(await mergeSentParts(record, 2)).toBe(5);
    const r = new OrderedRecords(record, { readAhead: 1 });
    const got = [];
    for (let x = r.next(); x !== null; x = r.next()) got.push(`${x.t} ${x.sku} ${x.tier} ${x.key}`);
    expect(got).toEqual([
      "1000 x vip k-0",
      "1010 y standard k-1",
      "1010 z standard k-2",
      "1020 y vip k-3",
      "1030 x standard k-4",
    ]);
    expect(existsSync(partPath(record, 0)) || existsSync(partPath(record, 1))).toBe(false);
  });
});
