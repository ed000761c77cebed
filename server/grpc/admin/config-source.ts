// Reads the preset-or-JSON oneof of ApplyConfig and StartCanary into what the core validates.
import type { FieldViolation } from "../../core/types.ts";
import { inputProblems, presetByName } from "../../core-binding.ts";

export type ConfigSource =
  | { ok: true; input: unknown; preset: string }
  | { ok: false; errors: FieldViolation[] };

export function readConfigSource(
  preset: string | undefined,
  configJson: string | undefined,
  merge: (partial: unknown) => unknown,
): ConfigSource {
  if (preset !== undefined) {
    const config = presetByName(preset);
    if (config === undefined) {
      return {
        ok: false,
        errors: [
          { path: "preset", message: `unknown preset ${JSON.stringify(preset)}; use legacy or adaptive` },
        ],
      };
    }
    return { ok: true, input: config, preset };
  }
  if (configJson !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(configJson);
    } catch (err) {
      return { ok: false, errors: [{ path: "config_json", message: `not JSON: ${(err as Error).message}` }] };
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      return { ok: false, errors: [{ path: "config_json", message: "must be a JSON object" }] };
    }
    // Before the merge, which recurses and would carry a reserved key into the result.
    const problems = inputProblems(parsed);
    if (problems.length > 0) return { ok: false, errors: problems };
    return { ok: true, input: merge(parsed), preset: "custom" };
  }
  return { ok: false, errors: [{ path: "source", message: "one of preset or config_json is required" }] };
}
