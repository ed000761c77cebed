// `--record FILE` of serve and load: the order log to write, checked before any work (exit 2 naming it).
import { existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { UsageError } from "./command.ts";

export function recordFlag(value: string): string {
  const path = resolve(value);
  if (value.trim() === "") throw new UsageError("--record needs a file name");
  if (existsSync(path) && statSync(path).isDirectory())
    throw new UsageError(`--record ${path} is a folder; name a file`);
  const dir = dirname(path);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new UsageError(`--record ${path}: the folder ${dir} does not exist`);
  return path;
}
