// The live timing figure of issues 14 and 16: orders sent per second (binned by the instant each was sent,
// from the run's start: load/engine.ts) against the schedule's own per-second counts (the log's scaled
// counts, the arrival plan's). The schedule is the reference, not a second live run: comparing two noisy
// runs adds both runs' errors.

export interface Deviation {
  /** Largest |sent - scheduled| / scheduled over the seconds compared. */
  max: number;
  /** Second of the largest. */
  maxAt: number;
  /** Mean of |sent - scheduled| / scheduled over the seconds compared. */
  mean: number;
  /** Seconds compared: those the schedule gives at least `minPerSecond` orders. */
  seconds: number;
}

export function perSecondDeviation(
  sent: readonly number[],
  schedule: readonly number[],
  minPerSecond = 100,
): Deviation {
  let max = 0;
  let maxAt = -1;
  let sum = 0;
  let seconds = 0;
  for (let s = 0; s < schedule.length; s++) {
    const e = schedule[s] ?? 0;
    if (e < minPerSecond) continue;
    const d = Math.abs((sent[s] ?? 0) - e) / e;
    sum += d;
    seconds++;
    if (d > max) {
      max = d;
      maxAt = s;
    }
  }
  return { max, maxAt, mean: seconds === 0 ? 0 : sum / seconds, seconds };
}

/** Orders due in each second of the run: scheduled[s] counts the start times in [s, s + 1) s. */
export function scheduledPerSecond(count: number, startTimeMs: (i: number) => number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const s = Math.floor(startTimeMs(i) / 1000);
    out[s] = (out[s] ?? 0) + 1;
  }
  for (let s = 0; s < out.length; s++) out[s] ??= 0;
  return out;
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

/** The acceptance line: "per-second sent vs schedule: max X% (second S), mean Y% over N s". */
export function describeDeviation(d: Deviation): string {
  return `per-second sent vs schedule: max ${pct(d.max)} (second ${d.maxAt}), mean ${pct(d.mean)} over ${d.seconds} s (acceptance: within 1%)`;
}
