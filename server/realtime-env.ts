// The core's Environment on real timers: the live server's clock. Time is performance.now()
// (monotonic milliseconds) from construction; randomness comes from the same seeded named
// streams as the simulator, so only the clock differs between a live run and a simulated one.
import { performance } from "node:perf_hooks";
import type { Environment, TimerHandle } from "./core/env.ts";
import { RandomStreams, type Xoshiro128 } from "./core/random.ts";

interface RealTimer extends TimerHandle {
  timeout: NodeJS.Timeout | null;
  immediate: NodeJS.Immediate | null;
}

export class RealtimeEnvironment implements Environment {
  private readonly streams: RandomStreams;
  private readonly origin: number;
  private seq = 0;
  /** Unix milliseconds at env time 0: converts env times to wall-clock times for the API. */
  readonly unixOrigin: number;

  constructor(seed = 1) {
    this.streams = new RandomStreams(seed);
    this.origin = performance.now();
    this.unixOrigin = Date.now();
  }

  now(): number {
    return performance.now() - this.origin;
  }

  /** Unix milliseconds of an env time. */
  toUnixMs(envTime: number): number {
    return this.unixOrigin + envTime;
  }

  schedule(delayMs: number, callback: () => void): TimerHandle {
    const timer: RealTimer = { id: ++this.seq, timeout: null, immediate: null };
    // setTimeout clamps 0 to 1 ms; a zero delay (a zero-latency provider, an immediate retry)
    // must not cost a millisecond per hop, so it runs on the next turn of the loop instead.
    if (delayMs > 0 && Number.isFinite(delayMs)) {
      timer.timeout = setTimeout(() => {
        timer.timeout = null;
        callback();
      }, delayMs);
    } else {
      timer.immediate = setImmediate(() => {
        timer.immediate = null;
        callback();
      });
    }
    return timer;
  }

  cancel(handle: TimerHandle): void {
    const timer = handle as RealTimer;
    if (timer.timeout !== null) clearTimeout(timer.timeout);
    if (timer.immediate !== null) clearImmediate(timer.immediate);
    timer.timeout = null;
    timer.immediate = null;
  }

  random(stream: string): Xoshiro128 {
    return this.streams.get(stream);
  }
}
