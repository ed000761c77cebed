// The one file in server/ that creates a dispatcher and calls the core's configuration helpers (presets,
// validation, merge); the rest of server/ codes against server/dispatcher-contract.ts and imports only the
// core's types, ports and pure helpers. Other layers import the core directly (docs/ARCHITECTURE.md).
import {
  configInputProblems,
  createDispatcher,
  type DispatchConfig,
  mergeConfig,
  orderPolicyOf,
  presetConfig,
  validateConfig,
} from "./core/index.ts";
import type { FieldViolation } from "./core/types.ts";
import type { DispatcherFactoryOptions, DispatcherLike } from "./dispatcher-contract.ts";

export function newDispatcher(options: DispatcherFactoryOptions): DispatcherLike {
  return createDispatcher({ ...options, config: options.config as DispatchConfig });
}

export function presetByName(name: string): unknown {
  return presetConfig(name);
}

/** A preset's order policy (provider, retry, allocation): what a canary of that preset runs. */
export function presetOrderPolicy(name: string): unknown {
  const config = presetConfig(name);
  return config === undefined ? undefined : orderPolicyOf(config);
}

export function validate(
  input: unknown,
): { ok: true; config: unknown } | { ok: false; errors: FieldViolation[] } {
  return validateConfig(input);
}

/** Reserved keys, too-deep nesting and oversized lists, by path: asked of a partial before merging it. */
export function inputProblems(input: unknown): FieldViolation[] {
  return configInputProblems(input);
}

/** A partial configuration merged over a full one. */
export function mergeOver(base: unknown, partial: unknown): unknown {
  return mergeConfig(base as DispatchConfig, partial);
}
