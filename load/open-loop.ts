// The open model's send loop (arrival-rate and replay executors), apart from gRPC and the real clock so a
// test can run it on a fake one (test/load/open-loop.test.ts). Iteration i is due at plan.startTimeMs(i)
// after the shared start instant. One timer for the whole loop, not one per order: each wake-up sends every
// iteration already due (re-reading the clock between sends, since sending takes time and more becomes
// due meanwhile), then sleeps until the next one. Times are always the plan's absolute ones, so timer
// lateness never accumulates into drift. A late iteration is still sent (open model) and its lateness
// reported to `fire`; nothing here drops an order (the engine's maxVUs check is the only drop, counted).
import type { OpenPlan } from "../traffic/executors/types.ts";

/** The clock and timers the loop runs on: the engine's real ones, or a test's fake ones. */
export interface LoopHost {
  /** ms since the shared start (negative before it). */
  now(): number;
  /** Calls `fn` after at least `ms` ms. The loop keeps one such timer pending at a time. */
  sleep(ms: number, fn: () => void): void;
  /** Calls `fn` after pending I/O has run (setImmediate). */
  yieldThen(fn: () => void): void;
}

/** Due iterations sent per wake-up before letting I/O (answers) run. */
export const BATCH = 256;

export class OpenLoop {
  private next: number;
  private stopped = false;
  /** Wake-ups so far (timer or yield): far fewer than sends at high rates, since each sends a batch. */
  wakeups = 0;

  constructor(
    private readonly plan: Pick<OpenPlan, "count" | "startTimeMs">,
    /** The first iteration of this engine's share, and the step between its iterations. */
    first: number,
    private readonly stride: number,
    private readonly host: LoopHost,
    /** Sends iteration i, due at `at` ms after the start. */
    private readonly fire: (i: number, at: number) => void,
    /** Called once, after the last iteration was sent. */
    private readonly onEnd: () => void,
  ) {
    this.next = first;
  }

  /** The next iteration this loop will send (>= plan.count once done). */
  get upcoming(): number {
    return this.next;
  }

  /** Starts the loop: sleeps until the first iteration is due (or sends at once what is overdue). */
  start(): void {
    if (this.next >= this.plan.count) {
      this.finish();
      return;
    }
    this.sleepUntilNext();
  }

  stop(): void {
    this.stopped = true;
  }

  private readonly tick = (): void => {
    if (this.stopped) return;
    this.wakeups++;
    const { plan, host } = this;
    let sent = 0;
    while (this.next < plan.count && sent < BATCH) {
      const at = plan.startTimeMs(this.next);
      if (at > host.now()) break;
      this.fire(this.next, at);
      this.next += this.stride;
      sent++;
    }
    if (this.next >= plan.count) {
      this.finish();
      return;
    }
    // More may be due: let I/O (answers) run, then carry on.
    if (sent === BATCH) host.yieldThen(this.tick);
    else this.sleepUntilNext();
  };

  /**
   * Sleeps until the next iteration is due, rounded UP to whole milliseconds (timers have 1 ms steps): never
   * sent early, and never a setImmediate spin (which kept a core busy polling between sub-millisecond
   * gaps). The cost is up to ~1 ms of send lag, the same at every window edge, so it moves no order from
   * one second to the next on average; it is counted in the latency (timed from the intended start).
   */
  private sleepUntilNext(): void {
    const wait = this.plan.startTimeMs(this.next) - this.host.now();
    if (wait <= 0) this.host.yieldThen(this.tick);
    else this.host.sleep(Math.ceil(wait), this.tick);
  }

  private finish(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.onEnd();
  }
}
