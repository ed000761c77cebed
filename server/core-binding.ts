// The one file through which the live server reaches the core's factory and configuration
// helpers; everything else in server/ codes against server/dispatcher-contract.ts.
import {
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

/** A partial configuration merged over a full one. */
export function mergeOver(base: unknown, partial: unknown): unknown {
  return mergeConfig(base as DispatchConfig, partial);
}
