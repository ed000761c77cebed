import type { DispatchServiceServer } from "../../../proto/gen/rushhour/v1/dispatch.ts";
import type { ServerContext } from "../../context.ts";
import { unary } from "../status.ts";
import { getOrder } from "./get-order.ts";
import { submitOrder } from "./submit-order.ts";
import { watchOrder } from "./watch-order.ts";

export function dispatchService(ctx: ServerContext): DispatchServiceServer {
  return {
    submitOrder: unary(submitOrder(ctx)),
    getOrder: unary(getOrder(ctx)),
    watchOrder: watchOrder(ctx),
  };
}
