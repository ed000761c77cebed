import type { ClearFaultsRequest, ClearFaultsResponse } from "../../../proto/gen/rushhour/v1/admin.ts";
import type { ServerContext } from "../../context.ts";
import { invalidArgument } from "../status.ts";

export function clearFaults(ctx: ServerContext) {
  return async (request: ClearFaultsRequest): Promise<ClearFaultsResponse> => {
    if (request.providerId !== "" && !ctx.providers.has(request.providerId)) {
      throw invalidArgument("provider_id", `unknown provider ${JSON.stringify(request.providerId)}`);
    }
    return { cleared: await ctx.providers.clear(request.providerId) };
  };
}
