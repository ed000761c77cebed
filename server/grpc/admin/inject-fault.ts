import type { InjectFaultRequest, InjectFaultResponse } from "../../../proto/gen/rushhour/v1/admin.ts";
import type { ServerContext } from "../../context.ts";
import { faultFromRequest } from "../fault-input.ts";

/** Reaches local providers directly, remote ones through their farm. */
export function injectFault(ctx: ServerContext) {
  return async (request: InjectFaultRequest): Promise<InjectFaultResponse> => {
    const fault = faultFromRequest(request.fault, (id) => ctx.providers.has(id));
    return { faultId: await ctx.providers.inject(fault) };
  };
}
