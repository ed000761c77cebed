import type { StartCanaryRequest, StartCanaryResponse } from "../../../proto/gen/rushhour/v1/admin.ts";
import type { ServerContext } from "../../context.ts";
import { mergeOver, presetOrderPolicy } from "../../core-binding.ts";
import { checkNumber } from "../validate.ts";
import { readConfigSource } from "./config-source.ts";

export function startCanary(ctx: ServerContext) {
  return async (request: StartCanaryRequest): Promise<StartCanaryResponse> => {
    checkNumber("share", request.share, 0, 0.5);
    const baseline = ctx.dispatcher.getConfig();
    const source = readConfigSource(request.preset, request.configJson, (p) => mergeOver(baseline, p));
    if (!source.ok) return { canaryId: "", errors: source.errors };
    // A canary runs only an order policy: of a preset, that part (its lanes, health etc. are the
    // baseline's); a JSON candidate that changes anything else is refused by the core, field by field.
    const candidate = request.preset !== undefined ? presetOrderPolicy(request.preset) : source.input;
    const result = ctx.dispatcher.startCanary(candidate, request.share > 0 ? request.share : undefined);
    return result.ok ? { canaryId: result.id, errors: [] } : { canaryId: "", errors: result.errors };
  };
}
