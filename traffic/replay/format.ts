// The order-log format (scenarios/README.md, "Order logs"): one order a line, CSV (with a header, or
// header-less with a column mapping) or JSON Lines, optionally gzip-compressed. Each order has a time
// (ISO-8601 or epoch milliseconds), a SKU and a tier ("vip" or "standard"); an idempotency key and a
// customer are optional. CSV fields are not quoted: a SKU or key holding a comma or a quote is refused
// with its line number, so a line splits at every comma (which keeps parsing over a million lines/s).
import type { Tier } from "../../server/core/types.ts";

export type LogFormat = "csv" | "jsonl";
export const LOG_FIELDS = ["time", "sku", "tier", "key", "customer"] as const;
export type LogField = (typeof LOG_FIELDS)[number];

/** Where each field is: a column name (CSV header or JSON key) or a 1-based CSV column number. */
export type ColumnMapping = Partial<Record<LogField, string | number>>;

export interface LogRecord {
  /** Epoch ms (or whatever origin the log's numbers have: only differences matter). */
  t: number;
  sku: string;
  tier: Tier;
  key?: string | undefined;
  customer?: string | undefined;
  /** 1-based line in the file. */
  line: number;
}

export interface LogReadOptions {
  format?: LogFormat;
  /** CSV only: the first line names the columns (default true). */
  header?: boolean;
  columns?: ColumnMapping;
}

/** A problem with the log, naming the file and (when it is one line's fault) the line. */
export class OrderLogError extends Error {
  override name = "OrderLogError";
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly problem: string,
  ) {
    super(line === null ? `${file}: ${problem}` : `${file}:${line}: ${problem}`);
  }
}

/** The format a file's name implies (".csv", ".jsonl"/".ndjson", each optionally ".gz"). */
export function formatOf(path: string, given?: LogFormat): LogFormat {
  if (given !== undefined) return given;
  const name = path.toLowerCase().replace(/\.gz$/, "");
  if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) return "jsonl";
  return "csv";
}

const ISO = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/;

/** Epoch ms written as plain digits (the common case, and exact up to 15 digits), or -1. */
function plainDigits(s: string): number {
  const n = s.length;
  if (n === 0 || n > 15) return -1;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

const isDigit = (s: string, i: number) => {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
};

/** The last minute an ISO time was parsed for: a log's consecutive lines mostly share their minute. */
let minuteKey = "";
let minuteMs = Number.NaN;

/**
 * "YYYY-MM-DD[T ]HH:MM:SS[.f{1,3}][Z|+HH:MM|-HH:MM]" as epoch ms, with Date.parse called once per minute
 * (and offset) rather than per line: within one minute the seconds and milliseconds only add (ECMAScript
 * time has no leap seconds, and zone changes fall on whole minutes). Anything else: NaN, for Date.parse.
 */
function isoFast(s: string): number {
  if (s.length < 19 || s.charCodeAt(16) !== 58 || !isDigit(s, 17) || !isDigit(s, 18)) return Number.NaN;
  const sec = (s.charCodeAt(17) - 48) * 10 + (s.charCodeAt(18) - 48);
  if (sec > 59) return Number.NaN;
  let i = 19;
  let ms = 0;
  if (s.charCodeAt(i) === 46) {
    let scale = 100;
    i++;
    while (i < s.length && isDigit(s, i)) {
      if (scale < 1) return Number.NaN;
      ms += (s.charCodeAt(i) - 48) * scale;
      scale /= 10;
      i++;
    }
    if (scale === 100) return Number.NaN;
  }
  const suffix = s.slice(i);
  if (
    !(
      suffix === "" ||
      suffix === "Z" ||
      (suffix.length === 6 &&
        (suffix[0] === "+" || suffix[0] === "-") &&
        isDigit(suffix, 1) &&
        isDigit(suffix, 2) &&
        suffix[3] === ":" &&
        isDigit(suffix, 4) &&
        isDigit(suffix, 5))
    )
  )
    return Number.NaN;
  const key = s.slice(0, 16) + suffix;
  if (key !== minuteKey) {
    minuteKey = key;
    minuteMs = Date.parse(`${s.slice(0, 16)}:00${suffix}`);
  }
  return minuteMs + sec * 1000 + ms;
}

/** A time field as epoch ms, or a message saying what is wrong with it. */
export function parseTime(value: unknown): number | string {
  // Fast paths first (a log's every line goes through here); anything they do not take is read as before.
  if (typeof value === "string") {
    const d = plainDigits(value);
    if (d >= 0) return d;
    if (ISO.test(value)) {
      const t = isoFast(value);
      if (Number.isFinite(t)) return t;
    }
  }
  if (typeof value === "number") return Number.isFinite(value) ? value : `time is not a finite number`;
  if (typeof value !== "string" || value === "") return "time is missing";
  const n = Number(value);
  if (Number.isFinite(n)) return n;
  if (ISO.test(value)) {
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) return ms;
  }
  return `time ${JSON.stringify(value)} is neither ISO-8601 nor epoch milliseconds`;
}

function parseTier(value: unknown): Tier | string {
  if (value === "standard" || value === "vip") return value;
  if (typeof value === "string") {
    const lower = value.toLowerCase();
    if (lower === "standard" || lower === "vip") return lower;
  }
  return `tier ${JSON.stringify(value ?? "")} is not "vip" or "standard"`;
}

/** Parses one line into a record (fields already located); returns a message for a bad line. */
export type LineParser = (line: string, lineNo: number) => LogRecord | string | null;

function build(
  time: unknown,
  sku: unknown,
  tier: unknown,
  key: unknown,
  customer: unknown,
  line: number,
): LogRecord | string {
  const t = parseTime(time);
  if (typeof t === "string") return t;
  if (typeof sku !== "string" || sku === "") return "sku is missing";
  const parsedTier = parseTier(tier);
  if (parsedTier !== "standard" && parsedTier !== "vip") return parsedTier;
  // One object shape for every record (optional fields present, maybe undefined): monomorphic access.
  return {
    t,
    sku,
    tier: parsedTier,
    key: typeof key === "string" && key !== "" ? key : undefined,
    customer: typeof customer === "string" && customer !== "" ? customer : undefined,
    line,
  };
}

/**
 * A parser for the file's lines given its first line (a CSV header is consumed: the parser returns null
 * for it). Throws OrderLogError for a mapping naming a column the file lacks.
 */
export function lineParser(file: string, options: LogReadOptions, firstLine: string): LineParser {
  const format = formatOf(file, options.format);
  const mapping = options.columns ?? {};
  if (format === "jsonl") {
    const keyOf = (f: LogField): string => {
      const m = mapping[f];
      if (typeof m === "number")
        throw new OrderLogError(file, null, `columns.${f}: a JSON Lines log names its fields, not numbers`);
      return m ?? f;
    };
    const [kt, ks, kr, kk, kc] = LOG_FIELDS.map(keyOf) as [string, string, string, string, string];
    return (line, lineNo) => {
      if (line.trim() === "") return "empty line";
      let o: unknown;
      try {
        o = JSON.parse(line);
      } catch {
        return "not a JSON object";
      }
      if (typeof o !== "object" || o === null || Array.isArray(o)) return "not a JSON object";
      const v = o as Record<string, unknown>;
      return build(v[kt], v[ks], v[kr], v[kk], v[kc], lineNo);
    };
  }
  const header = options.header ?? true;
  const names = header ? firstLine.split(",").map((s) => s.trim()) : [];
  const width = header ? names.length : firstLine.split(",").length;
  const indexOf = (f: LogField, required: boolean): number => {
    const m = mapping[f];
    if (typeof m === "number") {
      if (!Number.isInteger(m) || m < 1 || m > width)
        throw new OrderLogError(file, 1, `columns.${f}: column ${m} does not exist (the log has ${width})`);
      return m - 1;
    }
    if (!header) {
      if (m !== undefined)
        throw new OrderLogError(
          file,
          null,
          `columns.${f}: a header-less CSV maps columns by number (1-based)`,
        );
      if (required)
        throw new OrderLogError(file, null, `columns.${f}: a header-less CSV needs a column number`);
      return -1;
    }
    const name = m ?? f;
    const i = names.indexOf(name);
    if (i < 0 && (required || m !== undefined))
      throw new OrderLogError(
        file,
        1,
        `columns.${f}: no column "${name}" in the header (${names.join(",")})`,
      );
    return i;
  };
  const it = indexOf("time", true);
  const is = indexOf("sku", true);
  const ir = indexOf("tier", true);
  const ik = indexOf("key", false);
  const ic = indexOf("customer", false);
  let skipHeader = header;
  const fields: string[] = new Array(width).fill("");
  return (line, lineNo) => {
    if (skipHeader) {
      skipHeader = false;
      return null;
    }
    if (line === "") return "empty line";
    if (line.indexOf('"') >= 0) return "quoted CSV fields are not supported (a field holds a quote)";
    // Fields by scanning for commas into a reused array (split allocated an array per line).
    let n = 0;
    let from = 0;
    for (;;) {
      const comma = line.indexOf(",", from);
      if (n < width) fields[n] = comma < 0 ? line.slice(from) : line.slice(from, comma);
      n++;
      if (comma < 0) break;
      from = comma + 1;
    }
    if (n !== width) return `${n} fields, the ${header ? "header has" : "first line has"} ${width}`;
    return build(
      fields[it],
      fields[is],
      fields[ir],
      ik < 0 ? undefined : fields[ik],
      ic < 0 ? undefined : fields[ic],
      lineNo,
    );
  };
}
