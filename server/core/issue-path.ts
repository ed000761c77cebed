// The one formatter of a validation issue's path ("stages[0].duration"), for every zod schema in the project:
// dispatch configurations, scenario files, executor configs, RunResult files and provider models. Pure, so it
// sits in the core (the lowest layer) where every layer can use it.

/** `["stages", 0, "duration"]` -> `"stages[0].duration"`; an empty path prints as `root`. */
export function formatIssuePath(path: readonly PropertyKey[], root = "(root)"): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out || root;
}
