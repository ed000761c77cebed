// An error as one short line. Errors from modules loaded for the user (a scenario file through tsx) can
// carry multi-line messages and data: URLs of kilobytes; the scenario loader and the CLI both print
// them through this (scenarios/ sits below cli/, so it lives here).

const MAX_LINE = 300;

/** An error's message as one short line: lines joined, data: URLs elided, at most MAX_LINE characters. */
export function oneLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const line = message
    .replace(/data:[^\s"')]+/g, "<module>")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .join(" ");
  return line.length > MAX_LINE ? `${line.slice(0, MAX_LINE - 3)}...` : line;
}
