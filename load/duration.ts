// Durations in k6 spelling ("500ms", "30s", "2m", "1h30m") or as plain milliseconds. The load driver
// accepts both so that executor configs read like k6 scripts and scenario files can pass numbers.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;

/** A duration as given by a user: milliseconds, or a k6 duration string. */
export type DurationInput = number | string;

/** Milliseconds of `input`, or an error message (never throws, so validate() can collect every error). */
export function toMs(input: unknown): number | string {
  if (typeof input === "number") {
    return Number.isFinite(input) && input >= 0 ? input : "must be a finite number of milliseconds >= 0";
  }
  if (typeof input !== "string" || input.length === 0)
    return 'must be a duration like "30s" or a number of ms';
  let total = 0;
  PART.lastIndex = 0;
  let at = 0;
  while (at < input.length) {
    PART.lastIndex = at;
    const m = PART.exec(input);
    if (m === null) return `"${input}" is not a duration (use e.g. "500ms", "30s", "2m", "1h30m")`;
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    at = PART.lastIndex;
  }
  return total;
}

/** Milliseconds of a duration already validated. Throws on bad input (a programming error by then). */
export function durationMs(input: DurationInput): number {
  const ms = toMs(input);
  if (typeof ms === "string") throw new Error(ms);
  return ms;
}

/** Pushes `path: message` for a bad duration and returns its ms (NaN when bad). */
export function checkDuration(
  errors: string[],
  path: string,
  input: unknown,
  { positive = true }: { positive?: boolean } = {},
): number {
  const ms = toMs(input);
  if (typeof ms === "string") {
    errors.push(`${path}: ${ms}`);
    return Number.NaN;
  }
  if (positive && ms <= 0) {
    errors.push(`${path}: must be > 0`);
    return Number.NaN;
  }
  return ms;
}

/** Pushes an error unless `value` is an integer in [min, max]. */
export function checkInt(errors: string[], path: string, value: unknown, min: number, max = Infinity): void {
  if (typeof value !== "number" || !Number.isInteger(value)) errors.push(`${path}: must be an integer`);
  else if (value < min || value > max) {
    errors.push(`${path}: must be ${max === Infinity ? `>= ${min}` : `in [${min}, ${max}]`}, got ${value}`);
  }
}

/** Pushes an error unless `value` is a finite number >= min. */
export function checkNumber(errors: string[], path: string, value: unknown, min: number): void {
  if (typeof value !== "number" || !Number.isFinite(value)) errors.push(`${path}: must be a number`);
  else if (value < min) errors.push(`${path}: must be >= ${min}, got ${value}`);
}
