import {
  type DispatchServiceServer,
  DispatchServiceService,
} from "../../../proto/gen/rushhour/v1/dispatch.ts";
import type { ServerContext } from "../../context.ts";
import { unary } from "../status.ts";
import { checkingUtf8 } from "../wire-utf8.ts";
import { getOrder } from "./get-order.ts";
import { submitOrder } from "./submit-order.ts";
import { watchOrder } from "./watch-order.ts";

/**
 * DispatchService as served: the generated definition with idempotency keys checked for valid UTF-8 on
 * the wire (SubmitOrderRequest field 1, GetOrderRequest field 2; see server/grpc/wire-utf8.ts).
 */
export const dispatchServiceDefinition = {
  ...DispatchServiceService,
  submitOrder: checkingUtf8(DispatchServiceService.submitOrder, new Map([[1, "idempotency_key"]])),
  getOrder: checkingUtf8(DispatchServiceService.getOrder, new Map([[2, "idempotency_key"]])),
};

export function dispatchService(ctx: ServerContext): DispatchServiceServer {
  return {
    submitOrder: unary(submitOrder(ctx)),
    getOrder: unary(getOrder(ctx)),
    watchOrder: watchOrder(ctx),
  };
}
