// SubmitOrder: validate -> ledger (idempotent) -> core -> wait (per wait_mode and deadline) -> reply.
import { CustomerTier } from "../../../proto/gen/rushhour/v1/common.ts";
import {
  type Order,
  type SubmitOrderRequest,
  type SubmitOrderResponse,
  WaitMode,
} from "../../../proto/gen/rushhour/v1/dispatch.ts";
import type { ServerContext } from "../../context.ts";
import type { OrderView } from "../../core/types.ts";
import type { LiveOrder } from "../../orders.ts";
import { orderToProto, tierFromProto } from "../convert.ts";
import { ledgerOrderToProto, ledgerUnavailable } from "../ledger-order.ts";
import {
  deadlineExceeded,
  failedPrecondition,
  invalidArgument,
  msUntilDeadline,
  resourceExhausted,
  type UnaryCallInfo,
  unavailable,
} from "../status.ts";
import { checkEnum, checkIdempotencyKey, checkSku } from "../validate.ts";
import { refuseInvalidUtf8 } from "../wire-utf8.ts";

const TIERS = [
  CustomerTier.CUSTOMER_TIER_UNSPECIFIED,
  CustomerTier.CUSTOMER_TIER_STANDARD,
  CustomerTier.CUSTOMER_TIER_VIP,
];
const WAIT_MODES = [
  WaitMode.WAIT_MODE_UNSPECIFIED,
  WaitMode.WAIT_MODE_DELIVERED,
  WaitMode.WAIT_MODE_ACCEPTED,
];

/** How long before the client's deadline SubmitOrder answers with the order's current state. */
export function replyMarginMs(remainingMs: number): number {
  return Math.min(50, Math.max(2, remainingMs * 0.1));
}

export function submitOrder(ctx: ServerContext) {
  return async (request: SubmitOrderRequest, call: UnaryCallInfo): Promise<SubmitOrderResponse> => {
    const receivedAt = Date.now();
    refuseInvalidUtf8(request);
    // Who places the order (null when clients are not told apart); recorded with it in the ledger.
    const clientId = ctx.clientAuth.identify(call);
    checkIdempotencyKey("idempotency_key", request.idempotencyKey);
    checkSku("sku", request.sku);
    checkEnum("tier", request.tier, TIERS);
    checkEnum("wait_mode", request.waitMode, WAIT_MODES);
    if (ctx.shuttingDown) throw unavailable("server is shutting down");
    if (!ctx.skus.knows(request.sku) && !(await ctx.skus.sells(request.sku)))
      throw invalidArgument("sku", `unknown SKU ${JSON.stringify(request.sku)}`);
    if (msUntilDeadline(call) <= 0) throw deadlineExceeded("deadline passed before the order was recorded");

    const result = await ctx.book
      .submit(
        {
          idempotencyKey: request.idempotencyKey,
          sku: request.sku,
          tier: tierFromProto(request.tier),
          clientId,
        },
        receivedAt,
        call.metadata,
      )
      .catch((err: unknown) => {
        // Not recorded, so not accepted: the client may retry with the same key.
        throw ledgerUnavailable(err);
      });
    if (result.kind === "conflict") {
      const recorded = result.field === "sku" ? result.order.sku : result.order.tier;
      throw failedPrecondition(
        result.field,
        `idempotency key ${JSON.stringify(request.idempotencyKey)} already names order ${result.order.orderId} ` +
          `with ${result.field} ${JSON.stringify(recorded)}; a key means one request, use a new key for another`,
      );
    }
    if (result.kind === "ledger") {
      const order = ledgerOrderToProto(result.order);
      if (result.order.state === "REJECTED") throw resourceExhausted(result.order.rejectReason ?? "rejected");
      return { order, replayed: true };
    }
    const live = result.order;
    // An order rejected at once has no state to show until its REJECTED is in the ledger: wait for it.
    const view =
      request.waitMode === WaitMode.WAIT_MODE_ACCEPTED && live.view !== null
        ? live.view
        : await waitForEnd(live, msUntilDeadline(call));
    if (view.state === "REJECTED") throw resourceExhausted(view.rejectReason ?? "rejected");
    return { order: toProto(ctx, live, view), replayed: result.replayed };
  };
}

function toProto(ctx: ServerContext, live: LiveOrder, view: OrderView): Order {
  return orderToProto(view, live.envelope, (t) => ctx.env.toUnixMs(t));
}

/**
 * The terminal view once the ledger holds it, or the state clients may see just before the deadline;
 * UNAVAILABLE as soon as a ledger write of the order fails (the client retries with the same key).
 */
function waitForEnd(live: LiveOrder, remainingMs: number): Promise<OrderView> {
  return new Promise((resolve, reject) => {
    if (live.failing !== null) {
      reject(stillUnrecorded(live, live.failing));
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const onFailure = (error: Error) => {
      settle();
      reject(stillUnrecorded(live, error));
    };
    const settle = () => {
      clearTimeout(timer);
      live.failureListeners.delete(onFailure);
    };
    live.failureListeners.add(onFailure);
    if (Number.isFinite(remainingMs)) {
      timer = setTimeout(
        () => {
          settle();
          if (live.view !== null) resolve(live.view);
          else reject(unavailable(`order ${live.orderId}: its state is not yet in the ledger`));
        },
        Math.max(0, remainingMs - replyMarginMs(remainingMs)),
      );
    }
    live.done.then((view) => {
      settle();
      resolve(view);
    });
  });
}

function stillUnrecorded(live: LiveOrder, error: Error) {
  return unavailable(
    `order ledger unavailable: ${error.message}; order ${live.orderId} is unfinished as far as the ledger ` +
      "knows (retry with the same idempotency key)",
  );
}
