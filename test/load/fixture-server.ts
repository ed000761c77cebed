// A small, controllable DispatchService over real gRPC on 127.0.0.1 for the driver's tests and
// benchmark: every order is delivered after `latencyMs`, and a stall holds every answer due inside
// [from, to) until `to` (a server that freezes, e.g. for a GC pause or a lock). Tests that must not
// depend on the machine's speed hold answers on events instead: hold() keeps every answer until
// release(), and onReceived(fn) tells the test of each request as it arrives.
// Two transports answer the same way: grpc-js (the default: the tests check the driver against the
// reference implementation), or `lean: true`, the gRPC wire protocol straight over node:http2, which
// costs the server about half the CPU per call and so lets the driver's benchmark measure the driver
// rather than the fixture.
import { createServer, type ServerHttp2Session, type ServerHttp2Stream } from "node:http2";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { type handleUnaryCall, Server, ServerCredentials } from "@grpc/grpc-js";
import { CustomerTier, Lane, OrderState } from "../../proto/gen/rushhour/v1/common.ts";
import {
  DispatchServiceService,
  type Order,
  SubmitOrderRequest,
  SubmitOrderResponse,
} from "../../proto/gen/rushhour/v1/dispatch.ts";

export interface FixtureServer {
  address: string;
  /** Requests received. */
  received(): number;
  /** Every request received, in arrival order (the replay test compares their SKUs and tiers). */
  requests(): SubmitOrderRequest[];
  setLatency(ms: number): void;
  /** Holds answers between two instants on the performance.timeOrigin + performance.now() clock. */
  stall(fromEpochMs: number, toEpochMs: number): void;
  /** Holds every answer from now on until release(). */
  hold(): void;
  /** Sends every held answer now (in arrival order) and stops holding. */
  release(): void;
  /** Answers held right now. */
  held(): number;
  /** Calls fn(n) as the n-th request (counted since start, from 1) arrives, before its answer is held or timed. */
  onReceived(fn: ((n: number) => void) | null): void;
  close(): Promise<void>;
}

function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

export interface FixtureOptions {
  latencyMs?: number;
  /** Serve over node:http2 directly instead of grpc-js (see the header). */
  lean?: boolean;
}

export async function startFixtureServer(options: FixtureOptions = {}): Promise<FixtureServer> {
  let latencyMs = options.latencyMs ?? 0;
  let stall: [number, number] | null = null;
  let received = 0;
  let seq = 0;
  let holding = false;
  let heldReplies: (() => void)[] = [];
  let listener: ((n: number) => void) | null = null;
  const orderFor = (req: SubmitOrderRequest): Order => ({
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
  });
  /** Runs `reply` after the latency, or at the end of a stall it falls into. */
  const requests: SubmitOrderRequest[] = [];
  const answer = (req: SubmitOrderRequest, reply: () => void) => {
    requests.push(req);
    received++;
    listener?.(received);
    if (holding) {
      heldReplies.push(reply);
      return;
    }
    const due = epochNow() + latencyMs;
    const at = stall !== null && due >= stall[0] && due < stall[1] ? stall[1] : due;
    const wait = at - epochNow();
    if (wait <= 0) reply();
    else setTimeout(reply, wait);
  };
  const control = {
    received: () => received,
    requests: () => requests,
    setLatency: (ms: number) => {
      latencyMs = ms;
    },
    stall: (from: number, to: number) => {
      stall = [from, to];
    },
    hold: () => {
      holding = true;
    },
    release: () => {
      holding = false;
      const replies = heldReplies;
      heldReplies = [];
      for (const reply of replies) reply();
    },
    held: () => heldReplies.length,
    onReceived: (fn: ((n: number) => void) | null) => {
      listener = fn;
    },
  };
  if (options.lean) return { ...(await startLean(orderFor, answer)), ...control };

  const submitOrder: handleUnaryCall<SubmitOrderRequest, SubmitOrderResponse> = (call, callback) => {
    const req = call.request;
    answer(req, () => callback(null, { order: orderFor(req), replayed: false }));
  };
  // No channelz: its per-call counters are server CPU the driver's benchmark would pay for.
  const server = new Server({ "grpc.enable_channelz": 0 });
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
    ...control,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

const SUBMIT_PATH = DispatchServiceService.submitOrder.path;

/** SubmitOrder only, over node:http2: one length-prefixed message each way, status in trailers. */
async function startLean(
  orderFor: (req: SubmitOrderRequest) => Order,
  answer: (req: SubmitOrderRequest, reply: () => void) => void,
): Promise<Pick<FixtureServer, "address" | "close">> {
  // No session memory cap (as grpc-js): with thousands of calls in flight Node would refuse streams.
  const server = createServer({ maxSessionMemory: Number.MAX_SAFE_INTEGER });
  const sessions = new Set<ServerHttp2Session>();
  server.on("session", (s) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
  });
  server.on("stream", (stream: ServerHttp2Stream, headers) => {
    stream.on("error", () => {});
    if (headers[":path"] !== SUBMIT_PATH) {
      stream.respond(
        {
          ":status": 200,
          "content-type": "application/grpc",
          "grpc-status": "12",
          "grpc-message": "unimplemented",
        },
        { endStream: true },
      );
      return;
    }
    let body: Buffer | null = null;
    stream.on("data", (d: Buffer) => {
      body = body === null ? d : Buffer.concat([body, d]);
    });
    stream.on("end", () => {
      // A call the client cancelled (its deadline passed) may end with the stream already destroyed.
      if (stream.closed || stream.destroyed) return;
      const frame = body as Buffer | null;
      // A request cut short (the client cancelled it mid-frame) is answered INTERNAL, not decoded: decoding
      // a truncated message threw inside this handler and took the whole fixture process down.
      if (frame === null || frame.length < 5 || frame.length < 5 + frame.readUInt32BE(1)) {
        stream.respond(
          { ":status": 200, "content-type": "application/grpc", "grpc-status": "13" },
          { endStream: true },
        );
        return;
      }
      const req = SubmitOrderRequest.decode(frame.subarray(5, 5 + frame.readUInt32BE(1)));
      answer(req, () => {
        if (stream.closed || stream.destroyed) return;
        const msg = SubmitOrderResponse.encode({ order: orderFor(req), replayed: false }).finish();
        const out = Buffer.allocUnsafe(5 + msg.length);
        out[0] = 0;
        out.writeUInt32BE(msg.length, 1);
        out.set(msg, 5);
        stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
        stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
        stream.end(out);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sessions) s.close();
      }),
  };
}
