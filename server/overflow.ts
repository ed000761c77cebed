// The primary's OverflowPort: forwards an overflow order to `rushhour serve --role backup` with
// SubmitOrder(WAIT_MODE_DELIVERED) and hands the core the backup's terminal view.
import { credentials, Metadata, status } from "@grpc/grpc-js";
import { OrderState } from "../proto/gen/rushhour/v1/common.ts";
import { DispatchServiceClient, type Order, WaitMode } from "../proto/gen/rushhour/v1/dispatch.ts";
import type { Environment } from "./core/env.ts";
import type { OverflowPort } from "./core/ports.ts";
import type { OrderInput, OrderView } from "./core/types.ts";
import { TERMINAL_STATES } from "./core/types.ts";
import { orderStateFromProto, tierToProto } from "./grpc/convert.ts";

export class BackupOverflow implements OverflowPort {
  private readonly client: DispatchServiceClient;

  constructor(
    readonly address: string,
    private readonly env: Environment,
    private readonly timeoutMs = 30_000,
    /** Writes the order's trace context into the call's metadata (serve --otlp; server/tracing.ts). */
    private readonly trace?: (orderId: string, metadata: Metadata) => void,
  ) {
    this.client = new DispatchServiceClient(address, credentials.createInsecure());
  }

  forward(order: OrderInput, done: (view: OrderView) => void): void {
    const startedAt = this.env.now();
    const finish = (state: OrderView["state"], extra: Partial<OrderView>) =>
      done({
        orderId: order.orderId,
        sku: order.sku,
        tier: order.tier,
        state,
        lane: "overflow",
        cluster: "backup",
        providerId: null,
        attempts: 1,
        cardId: null,
        cardCode: null,
        submittedAt: startedAt,
        finishedAt: this.env.now(),
        timings: {
          queuedMs: 0,
          allocatingMs: 0,
          issuingMs: 0,
          retryingMs: 0,
          totalMs: this.env.now() - startedAt,
        },
        rejectReason: null,
        failureReason: null,
        fromCache: false,
        canary: false,
        ...extra,
      });
    const fromRemote = (o: Order) => {
      const state = orderStateFromProto(o.state) ?? "FAILED";
      finish(TERMINAL_STATES.has(state) ? state : "FAILED", {
        providerId: o.providerId || null,
        attempts: o.attempts,
        cardCode: o.cardCode || null,
        rejectReason: o.rejectReason || null,
        failureReason: TERMINAL_STATES.has(state) ? o.failureReason || null : "overflow_timeout",
        fromCache: o.fromCache,
        timings: {
          queuedMs: o.timings?.queuedMs ?? 0,
          allocatingMs: o.timings?.allocatingMs ?? 0,
          issuingMs: o.timings?.issuingMs ?? 0,
          retryingMs: o.timings?.retryingMs ?? 0,
          totalMs: this.env.now() - startedAt,
        },
      });
    };
    const metadata = new Metadata();
    this.trace?.(order.orderId, metadata);
    this.client.submitOrder(
      {
        idempotencyKey: `overflow:${order.orderId}`,
        sku: order.sku,
        tier: tierToProto(order.tier),
        waitMode: WaitMode.WAIT_MODE_DELIVERED,
      },
      metadata,
      { deadline: Date.now() + this.timeoutMs },
      (err, res) => {
        if (err !== null) {
          if (err.code === status.RESOURCE_EXHAUSTED)
            finish("REJECTED", { rejectReason: `backup_${err.details}` });
          else finish("FAILED", { failureReason: `overflow_${status[err.code]?.toLowerCase() ?? err.code}` });
          return;
        }
        if (res.order === undefined || res.order.state === OrderState.ORDER_STATE_UNSPECIFIED) {
          finish("FAILED", { failureReason: "overflow_bad_reply" });
          return;
        }
        fromRemote(res.order);
      },
    );
  }

  close(): void {
    this.client.close();
  }
}
