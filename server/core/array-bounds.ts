// Inputs written in TypeScript (scenarios, configurations, provider specs) can hold arrays of any
// length, sparse ones included: `[]` with `length = 2 ** 31` is one line. A schema parser walks every
// index of such an array and runs the process out of memory before it can report anything, so the
// validators refuse the array by its path first (input-shape.ts walks the input).

/** The longest list any input of ours needs (a year of per-minute demand history is 525,600). */
export const MAX_INPUT_ARRAY_LENGTH = 1_000_000;

export interface OversizedArray {
  path: (string | number)[];
  length: number;
}

export function oversizedMessage(a: OversizedArray, maxLength = MAX_INPUT_ARRAY_LENGTH): string {
  return `a list of length ${a.length}; at most ${maxLength} elements are allowed`;
}
