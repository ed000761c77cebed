// The one configuration loader of every command (sim, load, capacity, profile, suite and serve): a preset
// name ("legacy", "adaptive") or a JSON file `{ "extends": "legacy"|"adaptive", ...overrides }` merged
// over that preset. Without "extends" the file's fields are merged over adaptive, so a full
// configuration and a partial one read the same way in every command.
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import {
  configInputProblems,
  type DispatchConfig,
  mergeConfig,
  presetConfig,
  validateConfig,
} from "../server/core/config.ts";

export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    message: string,
    readonly problems: string[],
  ) {
    super(message);
  }
}

export function resolveConfig(nameOrFile: string, baseDir = process.cwd()): DispatchConfig {
  const preset = presetConfig(nameOrFile);
  if (preset !== undefined) return preset;
  const path = isAbsolute(nameOrFile) ? nameOrFile : resolve(baseDir, nameOrFile);
  if (!existsSync(path)) {
    throw new ConfigError(
      `no configuration "${nameOrFile}": not a preset (legacy, adaptive) and not a file`,
      [`config: not found: ${nameOrFile}`],
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new ConfigError(`${path}: not valid JSON (${(err as Error).message})`, [`config: invalid JSON`]);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`${path} must hold a JSON object`, ["config: not a JSON object"]);
  }
  // Before the merge, which recurses and would carry a reserved key into the result.
  const shape = configInputProblems(raw).map((e) => `${e.path}: ${e.message}`);
  if (shape.length > 0) {
    throw new ConfigError(`${path} is not a valid configuration:\n  ${shape.join("\n  ")}`, shape);
  }
  const { extends: base = "adaptive", ...rest } = raw as { extends?: unknown };
  const basePreset = typeof base === "string" ? presetConfig(base) : undefined;
  if (basePreset === undefined) {
    throw new ConfigError(`${path}: "extends" must be "legacy" or "adaptive"`, ["extends: unknown preset"]);
  }
  const input = mergeConfig(basePreset, { name: nameOrFile, ...rest });
  const result = validateConfig(input);
  if (!result.ok) {
    const problems = result.errors.map((e) => `${e.path}: ${e.message}`);
    throw new ConfigError(`${path} is not a valid configuration:\n  ${problems.join("\n  ")}`, problems);
  }
  return result.config;
}
