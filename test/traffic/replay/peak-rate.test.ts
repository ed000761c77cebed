// peakRate: the replay is paced so that its busiest 1 s window holds the asked rate (within 2%), whether
// that speeds the log up or slows it down (issue 14).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROMO_LOG_DEFAULTS, promoLog } from "../../../scenarios/logs/promo-log.ts";
import { peakRate } from "../../../traffic/profile.ts";
import { ReplayTimeline } from "../../../traffic/replay/timeline.ts";
import { OrderLogWriter } from "../../../traffic/replay/writer.ts";
import { replayScenario, tempDir } from "./helpers.ts";

const tmp = tempDir();
let file: string;
beforeAll(async () => {
  file = `${tmp.dir}/promo.csv.gz`;
  const out = new OrderLogWriter(file);
  await out.ready();
  for (const o of promoLog({ ...PROMO_LOG_DEFAULTS, orders: 30_000, seconds: 30 })) out.add(o);
  await out.close();
});
afterAll(() => tmp.remove());

/** The most replayed orders in any [t, t + 1000) window (two pointers over the replayed times). */
function busiestSecond(times: number[]): number {
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < times.length; hi++) {
    while ((times[hi] as number) - (times[lo] as number) >= 1000) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

describe("peakRate", () => {
  it.each([4500, 600])("replays the busiest 1 s window at %i orders/s, within 2 percent", (rate) => {
    const scenario = replayScenario({ file, peakRate: rate });
    const timeline = new ReplayTimeline(
      scenario.traffic as Extract<typeof scenario.traffic, { executor: "replay" }>,
    );
    const times = Array.from({ length: timeline.count }, (_, i) => timeline.at(i).atMs);
    timeline.close();
    expect(times.length).toBeGreaterThan(29_000);
    const observed = busiestSecond(times);
    expect(Math.abs(observed - rate) / rate).toBeLessThan(0.02);
    // The profile's peak (sizing the live driver) says the same.
    expect(Math.abs(peakRate(scenario.traffic) - rate) / rate).toBeLessThan(0.02);
  });
});
