import type { StopCanaryResponse } from "../../../proto/gen/rushhour/v1/admin.ts";
import type { ServerContext } from "../../context.ts";

export function stopCanary(ctx: ServerContext) {
  return async (): Promise<StopCanaryResponse> => ({ canaryId: ctx.dispatcher.stopCanary() ?? "" });
}
