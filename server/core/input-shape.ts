// What every validated input (a configuration, a scenario, a provider spec) is checked for before a
// schema looks at it, with the path of each finding:
// - `__proto__`, `constructor` and `prototype` keys. JSON.parse makes `"__proto__"` an own property; a
//   merge that assigns it (`out[key] = value`) sets the object's prototype instead, and a schema then
//   drops the key silently: a change that "applies" and does nothing, or worse. They are refused by path.
// - nesting deeper than MAX_INPUT_DEPTH: recursive code (a merge, a schema parser) would overflow the
//   stack on `{"a":{"a":...}}` 20,000 levels deep and answer with an internal error.
// - arrays longer than MAX_INPUT_ARRAY_LENGTH (see array-bounds.ts).
// The walk is iterative (no recursion, so it cannot overflow itself), visits each object once (shared
// or cyclic references terminate) and looks into plain objects and arrays only, as a schema would.
import { MAX_INPUT_ARRAY_LENGTH, oversizedMessage } from "./array-bounds.ts";
import { formatIssuePath } from "./issue-path.ts";
import type { FieldViolation } from "./types.ts";

export const RESERVED_KEYS: readonly string[] = ["__proto__", "constructor", "prototype"];

/** Deeper than any input of ours needs (a scenario is about 6 levels deep, a configuration 4). */
export const MAX_INPUT_DEPTH = 32;

export interface InputProblem {
  path: (string | number)[];
  message: string;
}

export function inputShapeProblems(value: unknown): InputProblem[] {
  const found: InputProblem[] = [];
  const seen = new Set<object>();
  const stack: { node: unknown; path: (string | number)[] }[] = [{ node: value, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (node === null || typeof node !== "object" || seen.has(node)) continue;
    seen.add(node);
    if (path.length >= MAX_INPUT_DEPTH) {
      found.push({ path, message: `nested deeper than ${MAX_INPUT_DEPTH} levels` });
      continue;
    }
    const children: { node: unknown; path: (string | number)[] }[] = [];
    if (Array.isArray(node)) {
      if (node.length > MAX_INPUT_ARRAY_LENGTH) {
        found.push({ path, message: oversizedMessage({ path, length: node.length }) });
        continue;
      }
      // forEach skips the holes of a sparse array.
      node.forEach((item, i) => {
        children.push({ node: item, path: [...path, i] });
      });
    } else {
      const proto = Object.getPrototypeOf(node);
      if (proto !== Object.prototype && proto !== null) continue;
      for (const key of Object.keys(node)) {
        if (RESERVED_KEYS.includes(key)) {
          found.push({
            path: [...path, key],
            message: `the key "${key}" is not allowed (${RESERVED_KEYS.join(", ")} could reach the prototype chain)`,
          });
        } else {
          children.push({ node: (node as Record<string, unknown>)[key], path: [...path, key] });
        }
      }
    }
    // Reversed onto the stack so that findings come out in document order.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  return found;
}

/** The same findings with their paths formatted ("lanes.default.workers"), as every validator reports them. */
export function inputShapeViolations(value: unknown, root?: string): FieldViolation[] {
  return inputShapeProblems(value).map((p) => ({ path: formatIssuePath(p.path, root), message: p.message }));
}
