// WatchOrder: the current state first, then every change until the order is terminal.
import type { ServerWritableStream } from "@grpc/grpc-js";
import { OrderState } from "../../../proto/gen/rushhour/v1/common.ts";
import type { WatchOrderRequest, WatchOrderResponse } from "../../../proto/gen/rushhour/v1/dispatch.ts";
import type { ServerContext } from "../../context.ts";
import { TERMINAL_STATES } from "../../core/types.ts";
import type { OrderListener } from "../../orders.ts";
import { mayRead } from "../auth.ts";
import { orderStateToProto, orderToProto } from "../convert.ts";
import { fromLedger, ledgerOrderToProto, ledgerUnavailable } from "../ledger-order.ts";
import { notFound, toServiceError } from "../status.ts";
import { checkOrderId } from "../validate.ts";

export function watchOrder(ctx: ServerContext) {
  return (call: ServerWritableStream<WatchOrderRequest, WatchOrderResponse>): void => {
    run(ctx, call).catch((err: unknown) => call.emit("error", toServiceError(err)));
  };
}

async function run(ctx: ServerContext, call: ServerWritableStream<WatchOrderRequest, WatchOrderResponse>) {
  const caller = ctx.clientAuth.identify(call);
  const orderId = call.request.orderId;
  checkOrderId("order_id", orderId);
  // Another client's order is NOT_FOUND, exactly as an order that does not exist.
  const missing = () => notFound(`no order ${JSON.stringify(orderId)}`);
  const live = ctx.book.getLive(orderId);
  if (live && !mayRead(call, caller, live.envelope)) throw missing();
  if (live) {
    const toUnix = (t: number) => ctx.env.toUnixMs(t);
    const listener: OrderListener = (view, previous) => {
      call.write({
        order: orderToProto(view, live.envelope, toUnix),
        previousState: previous ? orderStateToProto(previous.state) : OrderState.ORDER_STATE_UNSPECIFIED,
      });
    };
    // An order rejected at once has nothing to show until its REJECTED is in the ledger.
    if (live.view !== null) {
      call.write({
        order: orderToProto(live.view, live.envelope, toUnix),
        previousState: OrderState.ORDER_STATE_UNSPECIFIED,
      });
      if (TERMINAL_STATES.has(live.view.state)) {
        call.end();
        return;
      }
    }
    // A failed ledger write ends the stream with UNAVAILABLE: the next state may be a while coming.
    let onFailure: (error: Error) => void = () => {};
    const failed = new Promise<never>((_, reject) => {
      onFailure = (error) => reject(ledgerUnavailable(error));
    });
    live.listeners.add(listener);
    live.failureListeners.add(onFailure);
    const stop = () => {
      live.listeners.delete(listener);
      live.failureListeners.delete(onFailure);
    };
    call.on("cancelled", stop);
    if (live.failing !== null) onFailure(live.failing);
    try {
      await Promise.race([live.done, failed]);
    } finally {
      stop();
    }
    call.end();
    return;
  }
  const stored = await fromLedger(ctx.store.getOrder(orderId));
  if (stored === undefined || !mayRead(call, caller, stored)) throw missing();
  call.write({ order: ledgerOrderToProto(stored), previousState: OrderState.ORDER_STATE_UNSPECIFIED });
  call.end();
}
