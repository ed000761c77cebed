import type { ApplyConfigRequest, ApplyConfigResponse } from "../../../proto/gen/rushhour/v1/admin.ts";
import type { ServerContext } from "../../context.ts";
import { mergeOver, validate } from "../../core-binding.ts";
import { readConfigSource } from "./config-source.ts";

/** Every validation error comes back at once; nothing is applied on dry_run or when any is found. */
export function applyConfig(ctx: ServerContext) {
  return async (request: ApplyConfigRequest): Promise<ApplyConfigResponse> => {
    const current = ctx.dispatcher.getConfig();
    const source = readConfigSource(request.preset, request.configJson, (p) => mergeOver(current, p));
    const fail = (errors: { path: string; message: string }[]): ApplyConfigResponse => ({
      applied: false,
      errors,
      effectiveConfigJson: JSON.stringify(current),
      version: ctx.config.version,
    });
    if (!source.ok) return fail(source.errors);
    const checked = validate(source.input);
    if (!checked.ok) return fail(checked.errors);
    if (request.dryRun) {
      return {
        applied: false,
        errors: [],
        effectiveConfigJson: JSON.stringify(checked.config),
        version: ctx.config.version,
      };
    }
    const result = ctx.dispatcher.applyConfig(checked.config);
    if (!result.ok) return fail(result.errors);
    ctx.config.version++;
    ctx.config.preset = source.preset;
    return {
      applied: true,
      errors: [],
      effectiveConfigJson: JSON.stringify(result.config),
      version: ctx.config.version,
    };
  };
}
