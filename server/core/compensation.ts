// The compensation queue's policy: when a failed order may try again, after how long, and whether
// the retry budget allows it. The dispatcher owns the timers; this file is arithmetic.
//
// Backoff: "fixed" waits baseDelayMs; "exponential" waits min(maxDelayMs, baseDelayMs x 2^(attempt-1)).
// Jitter "full" draws the actual delay uniformly from [0, computed) (AWS "full jitter"), from the
// named stream "retry-jitter", so runs with the same seed are identical.
//
// Budget (no retry storm): retries active (waiting in backoff + in a worker) must stay at or below
// ratio x (orders accepted per second over the last windowMs) + minRetries. A retry that does not
// fit fails the order at once ("retry budget exhausted").
import type { DispatchConfig } from "./config.ts";
import type { RandomStream } from "./env.ts";

export type RetryConfig = DispatchConfig["retry"];

/** Delay before attempt `failedAttempts + 1`, after `failedAttempts` (>= 1) attempts failed. */
export function backoffDelay(
  config: Pick<RetryConfig, "backoff" | "baseDelayMs" | "maxDelayMs" | "jitter">,
  failedAttempts: number,
  rng: RandomStream,
): number {
  let delay =
    config.backoff === "fixed"
      ? config.baseDelayMs
      : Math.min(config.maxDelayMs, config.baseDelayMs * 2 ** Math.max(0, failedAttempts - 1));
  if (config.jitter === "full") delay = rng.next() * delay;
  return delay;
}

/**
 * Accepted-order rate over a sliding window, in 10 buckets, plus the count of active retries.
 * Bounded memory whatever the traffic.
 */
export class RetryBudget {
  private readonly buckets = new Float64Array(10);
  private bucketIndex = 0;
  private bucketStart = 0;
  private windowTotal = 0;
  private firstAcceptedAt = Number.NaN;
  /** Retries waiting in backoff or running in a worker. */
  active = 0;
  /** Highest `active` ever seen, and the allowance at that moment (for tests and reports). */
  peakActive = 0;

  constructor(private config: RetryConfig) {}

  setConfig(config: RetryConfig): void {
    this.config = config;
  }

  private advance(now: number): void {
    const width = this.config.budget.windowMs / this.buckets.length;
    if (now - this.bucketStart < width) return;
    const steps = Math.floor((now - this.bucketStart) / width);
    const clear = Math.min(steps, this.buckets.length);
    for (let i = 0; i < clear; i++) {
      this.bucketIndex = (this.bucketIndex + 1) % this.buckets.length;
      this.windowTotal -= this.buckets[this.bucketIndex]!;
      this.buckets[this.bucketIndex] = 0;
    }
    this.bucketStart += steps * width;
  }

  /** Counts one accepted order. */
  recordAccepted(now: number): void {
    if (Number.isNaN(this.firstAcceptedAt)) {
      this.firstAcceptedAt = now;
      this.bucketStart = now;
    }
    this.advance(now);
    this.buckets[this.bucketIndex]!++;
    this.windowTotal++;
  }

  /** Retries allowed to be active at once right now. */
  allowance(now: number): number {
    this.advance(now);
    // Until a whole window has passed, the rate is over the time since the first order (at least 1 s),
    // so a cold start does not read as a trickle.
    const span = Number.isNaN(this.firstAcceptedAt)
      ? this.config.budget.windowMs
      : Math.min(this.config.budget.windowMs, Math.max(1000, now - this.firstAcceptedAt));
    const perSecond = this.windowTotal / (span / 1000);
    return this.config.budget.ratio * perSecond + this.config.budget.minRetries;
  }

  /** Takes a retry token when the budget allows (always when the budget is disabled). */
  tryAcquire(now: number): boolean {
    if (this.config.budget.enabled && this.active + 1 > this.allowance(now)) return false;
    this.active++;
    if (this.active > this.peakActive) this.peakActive = this.active;
    return true;
  }

  /** Takes a token regardless of the budget (a recovered order must get its chance). */
  forceAcquire(): void {
    this.active++;
    if (this.active > this.peakActive) this.peakActive = this.active;
  }

  release(): void {
    this.active--;
  }
}
