import { credentials, Metadata } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { OrderState } from "../../proto/gen/rushhour/v1/common.ts";
import {
  DispatchServiceClient,
  type SubmitOrderResponse,
  WaitMode,
} from "../../proto/gen/rushhour/v1/dispatch.ts";
import { startFixtureServer } from "./fixture-server.ts";

describe("the lean fixture server (node:http2) speaks gRPC", () => {
  it("answers a grpc-js client's SubmitOrder like the grpc-js fixture does", async () => {
    for (const lean of [false, true]) {
      const server = await startFixtureServer({ lean });
      const client = new DispatchServiceClient(server.address, credentials.createInsecure());
      try {
        const res = await new Promise<SubmitOrderResponse>((resolve, reject) =>
          client.submitOrder(
            { idempotencyKey: `k-${lean}`, sku: "sku-3", tier: 2, waitMode: WaitMode.WAIT_MODE_DELIVERED },
            new Metadata(),
            { deadline: Date.now() + 5000 },
            (err, r) => (err ? reject(err) : resolve(r as SubmitOrderResponse)),
          ),
        );
        expect(res.order?.idempotencyKey).toBe(`k-${lean}`);
        expect(res.order?.sku).toBe("sku-3");
        expect(res.order?.state).toBe(OrderState.ORDER_STATE_DELIVERED);
        expect(server.received()).toBe(1);
      } finally {
        client.close();
        await server.close();
      }
    }
  });
});
