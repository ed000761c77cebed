import type { GetConfigResponse } from "../../../proto/gen/rushhour/v1/admin.ts";
import type { ServerContext } from "../../context.ts";

export function getConfig(ctx: ServerContext) {
  return async (): Promise<GetConfigResponse> => ({
    configJson: JSON.stringify(ctx.dispatcher.getConfig()),
    preset: ctx.config.preset,
    version: ctx.config.version,
  });
}
