// The one way a name becomes part of a file name (RunResult files, chart images): configuration names may be
// file paths ("configs/fast.json"), so only the base name is kept, and anything unsafe becomes "_".

/** "configs/fast.json" -> "fast", "a b" -> "a_b"; an empty result is "config". */
export function fileSafe(name: string): string {
  return (
    name
      .replace(/\.json$/i, "")
      .split(/[\\/]/)
      .pop()
      ?.replace(/[^A-Za-z0-9._-]/g, "_") || "config"
  );
}
