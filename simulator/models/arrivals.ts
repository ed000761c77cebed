// Non-homogeneous Poisson arrivals from a scenario's traffic, by thinning (Lewis & Shedler) per
// piecewise-linear segment: candidates at the segment's peak rate, each kept with probability
// rate(t) / peak. Draws come only from the arrivals stream, so every configuration sees the same times.

import type { Traffic } from "../../scenarios/schema.ts";
import type { RandomStream } from "../../server/core/env.ts";

interface Segment {
  start: number;
  end: number;
  /** Rates per ms at start and end. */
  from: number;
  to: number;
  peak: number;
}

export function segmentsOf(traffic: Traffic): Segment[] {
  const segments: Segment[] = [];
  if (traffic.executor === "constant-arrival-rate") {
    const r = traffic.rate / traffic.timeUnit;
    segments.push({ start: 0, end: traffic.duration, from: r, to: r, peak: r });
  } else if (traffic.executor === "ramping-arrival-rate") {
    let t = 0;
    let from = traffic.startRate / traffic.timeUnit;
    for (const s of traffic.stages) {
      const to = s.target / traffic.timeUnit;
      segments.push({ start: t, end: t + s.duration, from, to, peak: Math.max(from, to) });
      t += s.duration;
      from = to;
    }
  } else {
    throw new Error(`the simulator drives arrival-rate executors only, not "${traffic.executor}"`);
  }
  return segments;
}

export class ArrivalProcess {
  private readonly segments: Segment[];
  private index = 0;
  private t = 0;

  constructor(
    traffic: Traffic,
    private readonly rng: RandomStream,
  ) {
    this.segments = segmentsOf(traffic);
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
