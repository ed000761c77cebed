// The one door through which time and randomness enter the core (docs/ARCHITECTURE.md rule C1).
// The live server implements it with real timers (server/realtime-env.ts); the simulator with its
// virtual clock (simulator/kernel/virtual-env.ts). Same core code, two clocks.

/** An opaque handle for a scheduled callback. */
export interface TimerHandle {
  readonly id: number;
}

/** A stream of uniform numbers in [0, 1), independent of every other named stream. */
export interface RandomStream {
  next(): number;
}

export interface Environment {
  /** Milliseconds on this environment's clock: monotonic, epoch arbitrary (0 at simulation start). */
  now(): number;
  /** Runs `callback` once, `delayMs` (>= 0) from now. Ties run in scheduling order. */
  schedule(delayMs: number, callback: () => void): TimerHandle;
  /** Cancels a scheduled callback; cancelling one that ran or was cancelled is a no-op. */
  cancel(handle: TimerHandle): void;
  /**
   * The named random stream (e.g. "retry-jitter", "canary", "provider-choice"). The same seed and
   * name always give the same sequence, so baseline and candidate see the same randomness.
   */
  random(stream: string): RandomStream;
}
