// How `rushhour` reports a failure: one line naming the file, field or port, exit 2 for bad usage or
// input, and no stack trace unless --verbose. Errors from modules we load (a user's scenario through
// tsx) can carry multi-line messages and data: URLs of kilobytes; they are cut to one short line.
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { oneLine } from "../scenarios/error-line.ts";
import { UsageError } from "./command.ts";

export { oneLine };

/** Node's file-system errors that mean the user named a wrong path (exit 2, not a crash). */
const PATH_ERRORS: Record<string, string> = {
  EEXIST: "already exists",
  ENOTDIR: "a part of the path is a file, not a folder",
  EISDIR: "is a folder, not a file",
  ENOENT: "no such file or folder",
  EACCES: "permission denied",
  EPERM: "not permitted",
  EROFS: "read-only file system",
};

/** A file-system error about a path the user gave, as one line; undefined for anything else. */
export function pathErrorLine(err: unknown): string | undefined {
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code !== "string" || typeof e.path !== "string") return undefined;
  const why = PATH_ERRORS[e.code];
  if (why === undefined) return undefined;
  return `cannot ${e.syscall ?? "use"} ${e.path}: ${why} (${e.code})`;
}

/** The stack of an error and of its causes, for --verbose. */
export function stackOf(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    parts.push(current instanceof Error ? (current.stack ?? current.message) : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join("\nCaused by: ");
}

/**
 * `--out DIR`, checked before any work: refused when it names an existing file (a run used to finish
 * and then fail with an EEXIST stack trace). A missing folder is fine: it is created.
 */
export function checkOutFlag(value: string | undefined): void {
  if (value !== undefined && existsSync(value) && !statSync(value).isDirectory()) {
    throw new UsageError(`--out ${resolve(value)} is a file; name a folder (it is created when missing)`);
  }
}
