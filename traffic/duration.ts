// Durations in k6 vocabulary: "500ms", "30s", "2m", "1h", "1m30s", or a number of milliseconds. The one
// duration parser of the project: the scenario schema, the executors and the live options all read durations here.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;

export const DURATION_HINT =
  'expected a duration like "30s", "2m", "1h", "500ms" or a number of milliseconds';

/** Milliseconds, or undefined when `value` is not a duration. */
export function tryParseDuration(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  if (text === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  let total = 0;
  PART.lastIndex = 0;
  let pos = 0;
  while (pos < text.length) {
    PART.lastIndex = pos;
    const m = PART.exec(text);
    if (m === null) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = PART.lastIndex;
  }
  return total;
}

/** Milliseconds; throws on anything that is not a duration. */
export function parseDuration(value: string | number): number {
  const ms = tryParseDuration(value);
  if (ms === undefined) throw new Error(`${JSON.stringify(value)}: ${DURATION_HINT}`);
  return ms;
}

/** Compact human form: 90000 -> "1m30s", 1500 -> "1.5s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(3)}s`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = +((ms % 60_000) / 1000).toFixed(3);
  return `${h ? `${h}h` : ""}${m ? `${m}m` : ""}${s ? `${s}s` : ""}`;
}

/**
 * Pushes `path: message` for a bad duration and returns its ms (NaN when bad), so a hand-written validator
 * can collect every error; `positive` (default) also refuses 0.
 */
export function checkDuration(
  errors: string[],
  path: string,
  input: unknown,
  { positive = true }: { positive?: boolean } = {},
): number {
  const ms = tryParseDuration(input);
  if (ms === undefined) {
    errors.push(`${path}: ${DURATION_HINT}, got ${describeValue(input)}`);
    return Number.NaN;
  }
  if (positive && ms <= 0) {
    errors.push(`${path}: must be > 0`);
    return Number.NaN;
  }
  return ms;
}

/** A value for an error message; never throws (BigInt, cycles and symbols defeat JSON.stringify). */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || typeof value !== "object") return String(value);
  return Array.isArray(value) ? "a list" : "an object";
}
