// Non-homogeneous Poisson arrivals from a scenario's traffic (its rate profile, traffic/profile.ts), by
// thinning (Lewis & Shedler) per piecewise-linear segment: candidates at the segment's peak rate, each kept with probability
// rate(t) / peak. Draws come only from the arrivals stream, so every configuration sees the same times.

import type { RandomStream } from "../../server/core/env.ts";
import { isArrivalRate, type Segment, segmentsOf } from "../../traffic/profile.ts";
import type { Traffic } from "../../traffic/schema.ts";

/** The segments of the traffic's rate profile (traffic/profile.ts); arrival-rate executors only. */
export function arrivalSegments(traffic: Traffic): Segment[] {
  if (!isArrivalRate(traffic)) {
    throw new Error(`the simulator drives arrival-rate executors only, not "${traffic.executor}"`);
  }
  return segmentsOf(traffic);
}

export class ArrivalProcess {
  private readonly segments: Segment[];
  private index = 0;
  private t = 0;

  constructor(
    traffic: Traffic,
    private readonly rng: RandomStream,
  ) {
    this.segments = arrivalSegments(traffic);
    this.t = this.segments[0]?.start ?? 0;
  }

  /** The next arrival time (ms from traffic start), or Infinity when the traffic is over. */
  next(): number {
    const rng = this.rng;
    while (this.index < this.segments.length) {
      const s = this.segments[this.index]!;
      if (s.peak <= 0) {
        this.index++;
        this.t = s.end;
        continue;
      }
      this.t += -Math.log(1 - rng.next()) / s.peak;
      if (this.t >= s.end) {
        // Memoryless: restarting the candidate stream at the segment boundary is exact.
        this.t = s.end;
        this.index++;
        continue;
      }
      const rate = s.from + ((s.to - s.from) * (this.t - s.start)) / (s.end - s.start);
      if (rng.next() * s.peak <= rate) return this.t;
    }
    return Number.POSITIVE_INFINITY;
  }
}
