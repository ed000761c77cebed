// Inputs written in TypeScript (scenarios, configurations, provider specs) can hold arrays of any
// length, sparse ones included: `[]` with `length = 2 ** 31` is one line. A schema parser walks every
// index of such an array and runs the process out of memory before it can report anything, so the
// validators ask this first and refuse the array by its path instead.

/** The longest list any input of ours needs (a year of per-minute demand history is 525,600). */
export const MAX_INPUT_ARRAY_LENGTH = 1_000_000;

export interface OversizedArray {
  path: (string | number)[];
  length: number;
}

/**
 * Every array under `value` longer than `maxLength`, with its path. Walks plain objects and arrays
 * only (what a schema would look into), each object once, so shared or cyclic references terminate.
 */
export function oversizedArrays(value: unknown, maxLength = MAX_INPUT_ARRAY_LENGTH): OversizedArray[] {
  const found: OversizedArray[] = [];
  const seen = new Set<object>();
  const walk = (node: unknown, path: (string | number)[]) => {
    if (node === null || typeof node !== "object" || seen.has(node)) return;
    seen.add(node);
    if (Array.isArray(node)) {
      if (node.length > maxLength) {
        found.push({ path, length: node.length });
        return;
      }
      // forEach skips the holes of a sparse array.
      node.forEach((item, i) => {
        walk(item, [...path, i]);
      });
      return;
    }
    const proto = Object.getPrototypeOf(node);
    if (proto !== Object.prototype && proto !== null) return;
    for (const [key, child] of Object.entries(node)) walk(child, [...path, key]);
  };
  walk(value, []);
  return found;
}

export function oversizedMessage(a: OversizedArray, maxLength = MAX_INPUT_ARRAY_LENGTH): string {
  return `a list of length ${a.length}; at most ${maxLength} elements are allowed`;
}
