import { createServer } from "node:net";
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, UnaryChannel } from "../../load/unary-channel.ts";
import {
  DispatchServiceService,
  SubmitOrderRequest,
  SubmitOrderResponse,
  WaitMode,
} from "../../proto/gen/rushhour/v1/dispatch.ts";
import { type FixtureServer, startFixtureServer } from "./fixture-server.ts";

const SUBMIT = DispatchServiceService.submitOrder.path;
const epochNow = () => performance.timeOrigin + performance.now();

function request(key: string): Uint8Array {
  return SubmitOrderRequest.encode({
    idempotencyKey: key,
    sku: "sku-1",
    tier: 1,
    waitMode: WaitMode.WAIT_MODE_DELIVERED,
  }).finish();
}

type Outcome = { code: number; details: string; message: Buffer | null };

function call(ch: UnaryChannel, path: string, timeoutMs: number, key = "k"): Promise<Outcome> {
  return new Promise((resolve) => {
    ch.call(path, request(key), epochNow() + timeoutMs, (code, details, message) =>
      resolve({ code, details, message }),
    );
  });
}

/** A port nothing listens on (bound, then closed). */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

let server: FixtureServer;
beforeAll(async () => {
  server = await startFixtureServer();
});
afterAll(async () => {
  await server.close();
});

describe("lean unary gRPC client against a grpc-js server", () => {
  it("returns the server's answer, decodable as the method's response", async () => {
    const ch = new UnaryChannel(server.address);
    await ch.waitForReady(5000);
    const out = await call(ch, SUBMIT, 5000, "hello");
    expect(out.code).toBe(Code.OK);
    const res = SubmitOrderResponse.decode(out.message as Buffer);
    expect(res.order?.idempotencyKey).toBe("hello");
    // Several at once on one connection, each with its own answer.
    const many = await Promise.all(Array.from({ length: 50 }, (_, i) => call(ch, SUBMIT, 5000, `m${i}`)));
    expect(many.map((o) => SubmitOrderResponse.decode(o.message as Buffer).order?.idempotencyKey)).toEqual(
      Array.from({ length: 50 }, (_, i) => `m${i}`),
    );
    ch.close();
  });

  it("passes the server's error status and message through", async () => {
    const ch = new UnaryChannel(server.address);
    const unimplemented = await call(ch, "/rushhour.v1.DispatchService/NoSuchMethod", 5000);
    expect(unimplemented.code).toBe(Code.UNIMPLEMENTED);
    const failing = await call(ch, DispatchServiceService.getOrder.path, 5000);
    expect(failing.code).toBe(Code.UNKNOWN);
    expect(failing.details).toContain("not implemented");
    ch.close();
  });

  it("ends a call the server holds past its deadline with DEADLINE_EXCEEDED", async () => {
    const ch = new UnaryChannel(server.address);
    await ch.waitForReady(5000);
    server.setLatency(2000);
    try {
      const out = await call(ch, SUBMIT, 200);
      expect(out.code).toBe(Code.DEADLINE_EXCEEDED);
    } finally {
      server.setLatency(0);
      ch.close();
    }
  });

  it("ends a cancelled call with CANCELLED", async () => {
    const ch = new UnaryChannel(server.address);
    await ch.waitForReady(5000);
    server.setLatency(2000);
    try {
      const out = await new Promise<Outcome>((resolve) => {
        const c = ch.call(SUBMIT, request("c"), epochNow() + 5000, (code, details, message) =>
          resolve({ code, details, message }),
        );
        setTimeout(() => c.cancel(), 50);
      });
      expect(out.code).toBe(Code.CANCELLED);
    } finally {
      server.setLatency(0);
      ch.close();
    }
  });

  it("fails calls to a target that is down with UNAVAILABLE, at once", async () => {
    const port = await deadPort();
    const ch = new UnaryChannel(`127.0.0.1:${port}`, { maxReconnectBackoffMs: 200 });
    const down = await call(ch, SUBMIT, 5000);
    expect(down.code).toBe(Code.UNAVAILABLE);
    // Within the backoff, calls fail at once (fail fast), never queued until the deadline.
    const again = await call(ch, SUBMIT, 5000);
    expect(again.code).toBe(Code.UNAVAILABLE);
    ch.close();
  });
});
