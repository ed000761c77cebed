import type { GetOrderRequest, GetOrderResponse } from "../../../proto/gen/rushhour/v1/dispatch.ts";
import type { ServerContext } from "../../context.ts";
import { orderToProto } from "../convert.ts";
import { fromLedger, ledgerOrderToProto } from "../ledger-order.ts";
import { invalidArgument, notFound } from "../status.ts";
import { checkIdempotencyKey, checkOrderId } from "../validate.ts";
import { refuseInvalidUtf8 } from "../wire-utf8.ts";

/**
 * An order by id or idempotency key: from memory while it runs (the states clients may see, see
 * server/orders.ts), from the ledger afterwards.
 */
export function getOrder(ctx: ServerContext) {
  return async (request: GetOrderRequest): Promise<GetOrderResponse> => {
    let orderId: string;
    if (request.orderId !== undefined) {
      checkOrderId("order_id", request.orderId);
      orderId = request.orderId;
    } else if (request.idempotencyKey !== undefined) {
      refuseInvalidUtf8(request);
      checkIdempotencyKey("idempotency_key", request.idempotencyKey);
      const byKey = await fromLedger(ctx.store.getOrderByKey(request.idempotencyKey));
      if (byKey === undefined)
        throw notFound(`no order with idempotency key ${JSON.stringify(request.idempotencyKey)}`);
      orderId = byKey.orderId;
    } else {
      throw invalidArgument("key", "one of order_id or idempotency_key is required");
    }
    const live = ctx.book.getLive(orderId);
    if (live?.view) return { order: orderToProto(live.view, live.envelope, (t) => ctx.env.toUnixMs(t)) };
    const stored = await fromLedger(ctx.store.getOrder(orderId));
    if (stored === undefined) throw notFound(`no order ${JSON.stringify(orderId)}`);
    return { order: ledgerOrderToProto(stored) };
  };
}
