import type { GetOrderRequest, GetOrderResponse } from "../../../proto/gen/rushhour/v1/dispatch.ts";
import type { ServerContext } from "../../context.ts";
import { mayRead } from "../auth.ts";
import { orderToProto } from "../convert.ts";
import { fromLedger, ledgerOrderToProto } from "../ledger-order.ts";
import { invalidArgument, notFound, type UnaryCallInfo } from "../status.ts";
import { checkIdempotencyKey, checkOrderId } from "../validate.ts";
import { refuseInvalidUtf8 } from "../wire-utf8.ts";

/**
 * An order by id or idempotency key: from memory while it runs (the states clients may see, see
 * server/orders.ts), from the ledger afterwards. With clients told apart, an order by id is only its
 * client's (others get NOT_FOUND); by key, whoever presents the key.
 */
export function getOrder(ctx: ServerContext) {
  return async (request: GetOrderRequest, call: UnaryCallInfo): Promise<GetOrderResponse> => {
    let caller = ctx.clientAuth.identify(call);
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
      caller = null;
    } else {
      throw invalidArgument("key", "one of order_id or idempotency_key is required");
    }
    const missing = () => notFound(`no order ${JSON.stringify(orderId)}`);
    const live = ctx.book.getLive(orderId);
    if (live?.view && !mayRead(call, caller, live.envelope)) throw missing();
    if (live?.view) return { order: orderToProto(live.view, live.envelope, (t) => ctx.env.toUnixMs(t)) };
    const stored = await fromLedger(ctx.store.getOrder(orderId));
    if (stored === undefined || !mayRead(call, caller, stored)) throw missing();
    return { order: ledgerOrderToProto(stored) };
  };
}
