// What every merge of shards checks, whatever the shards hold (RunResults: results/merge.ts; capacity search
// parts: workflows/capacity-shard.ts): that they belong to one run (the first field that differs) and that
// indices 0..count-1 each came exactly once. The callers word the errors.

/** A field every shard of one run must agree on: its name in errors and how to read it. */
export type ShardField<T> = readonly [string, (shard: T) => unknown];

/** The first of `fields` in which `b` differs from `a` (compared as JSON), with both values; null if none. */
export function firstDifference<T>(
  a: T,
  b: T,
  fields: readonly ShardField<T>[],
): { field: string; a: string; b: string } | null {
  for (const [field, pick] of fields) {
    const x = JSON.stringify(pick(a)) ?? "undefined";
    const y = JSON.stringify(pick(b)) ?? "undefined";
    if (x !== y) return { field, a: x, b: y };
  }
  return null;
}

/** A JSON value shown in an error: at most 80 characters. */
export function shortJson(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The first index given twice (with its two sources), and the indices below `count` that no shard has. */
export function shardCoverage(
  shards: readonly { index: number; source: string }[],
  count: number,
): { twice: { index: number; first: string; second: string } | null; missing: number[] } {
  const seen = new Map<number, string>();
  let twice: { index: number; first: string; second: string } | null = null;
  for (const { index, source } of shards) {
    const first = seen.get(index);
    if (first !== undefined && twice === null) twice = { index, first, second: source };
    if (first === undefined) seen.set(index, source);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
  return { twice, missing };
}
