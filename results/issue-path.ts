// The one formatter of a validation issue's path ("stages[0].duration"), for every zod schema in the project:
// scenario files, executor configs, RunResult files and provider models. It sits in the lowest layer that
// validates input (RunResult files) so every layer above can use it.

/** `["stages", 0, "duration"]` -> `"stages[0].duration"`; an empty path prints as `root`. */
export function formatIssuePath(path: readonly PropertyKey[], root = "(root)"): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out || root;
}
