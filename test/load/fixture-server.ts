// A small, controllable DispatchService over real gRPC on 127.0.0.1 for the driver's tests and
// benchmark: every order is delivered after `latencyMs`, and a stall holds every answer due inside
// [from, to) until `to` (a server that freezes, e.g. for a GC pause or a lock).
import { performance } from "node:perf_hooks";
import { type handleUnaryCall, Server, ServerCredentials } from "@grpc/grpc-js";
import { CustomerTier, Lane, OrderState } from "../../proto/gen/rushhour/v1/common.ts";
import {
  DispatchServiceService,
  type SubmitOrderRequest,
  type SubmitOrderResponse,
} from "../../proto/gen/rushhour/v1/dispatch.ts";

export interface FixtureServer {
  address: string;
  /** Requests received. */
  received(): number;
  setLatency(ms: number): void;
  /** Holds answers between two instants on the performance.timeOrigin + performance.now() clock. */
  stall(fromEpochMs: number, toEpochMs: number): void;
  close(): Promise<void>;
}

function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

export async function startFixtureServer(options: { latencyMs?: number } = {}): Promise<FixtureServer> {
  let latencyMs = options.latencyMs ?? 0;
  let stall: [number, number] | null = null;
  let received = 0;
  let seq = 0;
  const submitOrder: handleUnaryCall<SubmitOrderRequest, SubmitOrderResponse> = (call, callback) => {
    received++;
    const req = call.request;
    const reply = () =>
      callback(null, {
        order: {
          orderId: `o-${++seq}`,
          idempotencyKey: req.idempotencyKey,
          sku: req.sku,
          tier: req.tier,
          state: OrderState.ORDER_STATE_DELIVERED,
          cardCode: "CARD",
          lane: req.tier === CustomerTier.CUSTOMER_TIER_VIP ? Lane.LANE_VIP : Lane.LANE_DEFAULT,
          cluster: 1,
          providerId: "p1",
          attempts: 1,
          timings: undefined,
          rejectReason: "",
          failureReason: "",
          acceptedAtUnixMs: 0,
          finishedAtUnixMs: 0,
          fromCache: false,
          canary: false,
        },
        replayed: false,
      });
    const due = epochNow() + latencyMs;
    const at = stall !== null && due >= stall[0] && due < stall[1] ? stall[1] : due;
    const wait = at - epochNow();
    if (wait <= 0) reply();
    else setTimeout(reply, wait);
  };
  const server = new Server();
  server.addService(DispatchServiceService, {
    submitOrder,
    getOrder: (_call: unknown, cb: (e: Error) => void) => cb(new Error("not implemented")),
    watchOrder: (call: { end(): void }) => call.end(),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    received: () => received,
    setLatency: (ms) => {
      latencyMs = ms;
    },
    stall: (from, to) => {
      stall = [from, to];
    },
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
