// Reads a provider spec file (JSON: { "providers": [{ id, p50Ms, p99Ms, capacity, errorRate }],
// optional "risk": { id="risk", p50Ms, p99Ms, capacity, errorRate, denyRate, reviewRate } and
// optional "notification": { id="notify", p50Ms, p99Ms, capacity, errorRate } }).
import { readFileSync } from "node:fs";
import { type FarmSpec, validateFarmSpec } from "./model.ts";

export class ProviderSpecError extends Error {
  override name = "ProviderSpecError";
}

export function readProviderSpec(path: string): FarmSpec {
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
  const result = validateFarmSpec(json);
  if (!result.ok) {
    throw new ProviderSpecError(
      `provider spec ${path} is invalid:\n${result.errors.map((e) => `  ${e.path}: ${e.message}`).join("\n")}`,
    );
  }
  return result.spec;
}
