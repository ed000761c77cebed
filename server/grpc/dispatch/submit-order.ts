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
import { ledgerOrderToProto } from "../ledger-order.ts";
import {
  deadlineExceeded,
  invalidArgument,
  msUntilDeadline,
  resourceExhausted,
  type UnaryCallInfo,
  unavailable,
} from "../status.ts";
import { checkEnum, checkIdempotencyKey, checkSku } from "../validate.ts";

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
      )
      .catch((err: unknown) => {
        // Not recorded, so not accepted: the client may retry with the same key.
        throw unavailable(`order ledger unavailable: ${(err as Error).message}`);
      });
    if (result.kind === "ledger") {
      const order = ledgerOrderToProto(result.order);
      if (result.order.state === "REJECTED") throw resourceExhausted(result.order.rejectReason ?? "rejected");
      return { order, replayed: true };
    }
    const live = result.order;
    const view = live.view!;
    if (view.state === "REJECTED") {
      await live.persisted;
      throw resourceExhausted(view.rejectReason ?? "rejected");
    }
    if (request.waitMode === WaitMode.WAIT_MODE_ACCEPTED) {
      return { order: toProto(ctx, live, view), replayed: result.replayed };
    }
    const final = await waitForEnd(live, msUntilDeadline(call));
    return { order: toProto(ctx, live, final), replayed: result.replayed };
  };
}

function toProto(ctx: ServerContext, live: LiveOrder, view: OrderView): Order {
  return orderToProto(view, live.envelope, (t) => ctx.env.toUnixMs(t));
}

/** The terminal view, or the current one just before the deadline. */
function waitForEnd(live: LiveOrder, remainingMs: number): Promise<OrderView> {
  if (!Number.isFinite(remainingMs)) return live.done;
  const waitMs = Math.max(0, remainingMs - replyMarginMs(remainingMs));
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(live.view!), waitMs);
    live.done.then((view) => {
      clearTimeout(timer);
      resolve(view);
    });
  });
}
