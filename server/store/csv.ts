// Card keys from a CSV file: one `sku,code` per line, an optional `sku,code` header, blank lines and
// `#` comments ignored, fields optionally in double quotes ("" inside quotes is one quote). A file
// with any bad line imports nothing, and every bad line is reported at once.
import type { Store } from "./types.ts";

export interface CsvLineError {
  line: number;
  message: string;
}

export class CardCsvError extends Error {
  override name = "CardCsvError";
  constructor(readonly errors: CsvLineError[]) {
    super(
      `bad card CSV (${errors.length} line${errors.length === 1 ? "" : "s"}):\n` +
        errors.map((e) => `  line ${e.line}: ${e.message}`).join("\n"),
    );
  }
}

export interface ParsedCards {
  /** Codes per SKU, in file order. */
  bySku: Map<string, string[]>;
  errors: CsvLineError[];
}

export function parseCardCsv(text: string): ParsedCards {
  const bySku = new Map<string, string[]>();
  const errors: CsvLineError[] = [];
  let sawData = false;
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const fields = splitCsvLine(line);
    if (typeof fields === "string") {
      errors.push({ line: i + 1, message: fields });
      continue;
    }
    if (
      !sawData &&
      fields.length === 2 &&
      fields[0]!.toLowerCase() === "sku" &&
      fields[1]!.toLowerCase() === "code"
    ) {
      sawData = true;
      continue;
    }
    sawData = true;
    if (fields.length !== 2) {
      errors.push({ line: i + 1, message: `expected 2 fields (sku,code), found ${fields.length}` });
      continue;
    }
    const [sku, code] = fields.map((f) => f.trim()) as [string, string];
    if (sku === "") errors.push({ line: i + 1, message: "the sku is empty" });
    else if (code === "") errors.push({ line: i + 1, message: "the code is empty" });
    else {
      let codes = bySku.get(sku);
      if (!codes) {
        codes = [];
        bySku.set(sku, codes);
      }
      codes.push(code);
    }
  }
  return { bySku, errors };
}

/** Imports a card CSV; throws CardCsvError (naming every bad line) and imports nothing if any line is bad. */
export async function importCardCsv(
  store: Store,
  text: string,
): Promise<{ imported: number; duplicates: number; skus: number }> {
  const { bySku, errors } = parseCardCsv(text);
  if (errors.length > 0) throw new CardCsvError(errors);
  let imported = 0;
  let duplicates = 0;
  for (const [sku, codes] of bySku) {
    const r = await store.importCards(sku, codes);
    imported += r.imported;
    duplicates += r.duplicates;
  }
  return { imported, duplicates, skus: bySku.size };
}

/** The fields of one line, or a message saying why it cannot be read. */
function splitCsvLine(line: string): string[] | string {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = "";
    let start = i;
    while (line[start] === " " || line[start] === "\t") start++;
    if (line[start] === '"') {
      i = start;
      i++;
      for (;;) {
        if (i >= line.length) return "a quoted field is not closed";
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += line[i++];
      }
      while (line[i] === " " || line[i] === "\t") i++;
      if (i < line.length && line[i] !== ",") return "text after a closing quote";
    } else {
      const end = line.indexOf(",", i);
      field = end < 0 ? line.slice(i) : line.slice(i, end);
      if (field.includes('"')) return "a quote inside an unquoted field";
      i = end < 0 ? line.length : end;
    }
    fields.push(field);
    if (i >= line.length) return fields;
    i++; // the comma
  }
}
