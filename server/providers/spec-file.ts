// Reads a provider spec file (JSON: { "providers": [{ id, p50Ms, p99Ms, capacity, errorRate }] }).
import { readFileSync } from "node:fs";
import { type ProviderModel, validateProviderSpec } from "./model.ts";

export class ProviderSpecError extends Error {
  override name = "ProviderSpecError";
}

export function readProviderSpec(path: string): ProviderModel[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ProviderSpecError(`cannot read provider spec ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ProviderSpecError(`provider spec ${path} is not JSON: ${(err as Error).message}`);
  }
  const result = validateProviderSpec(json);
  if (!result.ok) {
    throw new ProviderSpecError(
      `provider spec ${path} is invalid:\n${result.errors.map((e) => `  ${e.path}: ${e.message}`).join("\n")}`,
    );
  }
  return result.providers;
}
