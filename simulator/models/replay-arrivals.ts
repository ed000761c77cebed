// A replay traffic's arrivals in virtual time: the log's orders at their replayed times, each with the
// SKU and tier the log gives (traffic/replay/timeline.ts, shared with the live driver). No random draws.
import type { Tier } from "../../server/core/types.ts";
import { ReplayTimeline } from "../../traffic/replay/timeline.ts";
import type { Traffic } from "../../traffic/schema.ts";

type ReplayTraffic = Extract<Traffic, { executor: "replay" }>;

export class ReplayArrivals {
  private readonly timeline: ReplayTimeline;
  private index = -1;
  /** The order of the time next() returned last. */
  sku = "";
  tier: Tier = "standard";

  constructor(traffic: ReplayTraffic) {
    this.timeline = new ReplayTimeline(traffic);
  }

  /** The next arrival time (ms from traffic start), or Infinity when the log is over. */
  next(): number {
    if (this.index + 1 >= this.timeline.count) {
      this.timeline.close();
      return Number.POSITIVE_INFINITY;
    }
    const o = this.timeline.at(++this.index);
    this.sku = o.sku;
    this.tier = o.tier;
    return o.atMs;
  }
}
