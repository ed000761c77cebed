// Malformed and oversize protobuf bytes sent straight to a spawned `rushhour serve` (grpc-js with an
// identity serializer, so the bytes go on the wire as they are): every call gets a gRPC status back,
// and the server keeps serving valid orders afterwards.
import { Client, credentials, status } from "@grpc/grpc-js";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CustomerTier, OrderState } from "../../proto/gen/rushhour/v1/common.ts";
import { SubmitOrderRequest, WaitMode } from "../../proto/gen/rushhour/v1/dispatch.ts";
import { type SpawnedServer, spawnServe } from "../support/spawn.ts";
import { call, clients, sendRaw } from "./grpc/clients.ts";

const SUBMIT = "/rushhour.v1.DispatchService/SubmitOrder";
const MAX_MESSAGE = 64 * 1024;
let server: SpawnedServer;
let raw: Client;

beforeAll(async () => {
  server = await spawnServe([
    "--skus",
    "sku-a",
    "--seed-stock",
    "500",
    "--providers",
    "local:zero",
    "--max-message-bytes",
    String(MAX_MESSAGE),
  ]);
  // The client itself must not refuse what we want the server to see.
  raw = new Client(server.address, credentials.createInsecure(), {
    "grpc.max_send_message_length": -1,
    "grpc.max_receive_message_length": -1,
  });
});

afterAll(async () => {
  raw?.close();
  await server?.stop();
});

/** Sends `bytes` as the request of `method`; resolves with the status code (OK included). */
const send = (bytes: Buffer, method = SUBMIT) => sendRaw(raw, method, bytes);

const valid = (key: string) =>
  Buffer.from(
    SubmitOrderRequest.encode({
      idempotencyKey: key,
      sku: "sku-a",
      tier: CustomerTier.CUSTOMER_TIER_STANDARD,
      waitMode: WaitMode.WAIT_MODE_DELIVERED,
    }).finish(),
  );

async function stillServes(key: string) {
  const c = clients(server.address);
  try {
    const res = await call(c.dispatch.submitOrder, c.dispatch, {
      idempotencyKey: key,
      sku: "sku-a",
      tier: CustomerTier.CUSTOMER_TIER_STANDARD,
      waitMode: WaitMode.WAIT_MODE_DELIVERED,
    });
    expect(res.order?.state).toBe(OrderState.ORDER_STATE_DELIVERED);
  } finally {
    c.close();
  }
  expect(server.proc.exitCode).toBeNull();
}

describe("malformed protobuf bytes", () => {
  it("answers a well-formed message sent raw (the harness itself works)", async () => {
    expect((await send(valid(`raw-ok-${process.pid}`))).code).toBe(status.OK);
  });

  it("refuses bytes that are not a SubmitOrderRequest with a status", async () => {
    const cases: Record<string, Buffer> = {
      // field 1 (string) claims 100 bytes, 3 follow
      truncated: Buffer.from([0x0a, 100, 0x61, 0x62, 0x63]),
      // varint that never ends
      "endless varint": Buffer.from([0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
      // field 1 sent as a fixed64 instead of a string
      "wrong wire type": Buffer.from([0x09, 1, 2, 3, 4, 5, 6, 7, 8]),
      // wire type 7 does not exist
      "bad wire type": Buffer.from([0x0f, 0x01]),
      // field number 0 is reserved
      "field zero": Buffer.from([0x02, 0x00]),
      // a key of invalid UTF-8
      "invalid utf-8": Buffer.concat([Buffer.from([0x0a, 3]), Buffer.from([0xff, 0xfe, 0xfd])]),
    };
    for (const [name, bytes] of Object.entries(cases)) {
      const { code, details } = await send(bytes);
      // Undecodable input is INTERNAL (grpc-js) or INVALID_ARGUMENT; a decodable one names its bad field.
      expect([status.INTERNAL, status.INVALID_ARGUMENT], `${name}: ${details}`).toContain(code);
    }
    await stillServes(`after-cases-${process.pid}`);
  });

  it("refuses an empty message with INVALID_ARGUMENT naming the field", async () => {
    const { code, details } = await send(Buffer.alloc(0));
    expect(code).toBe(status.INVALID_ARGUMENT);
    expect(details).toMatch(/^idempotency_key: /);
  });

  it("refuses an oversize message with RESOURCE_EXHAUSTED and keeps serving", async () => {
    const big = Buffer.concat([valid(`big-${process.pid}`), Buffer.alloc(MAX_MESSAGE * 2, 0x61)]);
    const { code } = await send(big);
    expect(code).toBe(status.RESOURCE_EXHAUSTED);
    await stillServes(`after-big-${process.pid}`);
  });

  it("answers UNIMPLEMENTED for a method it does not have", async () => {
    const { code } = await send(valid("x"), "/rushhour.v1.DispatchService/NoSuchMethod");
    expect(code).toBe(status.UNIMPLEMENTED);
  });

  it("answers every arbitrary byte string with a status and survives them all (property)", {
    timeout: 120_000,
  }, async () => {
    const codes = new Set<number>();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (bytes) => {
        const { code } = await send(Buffer.from(bytes));
        // Never UNKNOWN (an unhandled throw) or UNAVAILABLE (a crash).
        expect([status.OK, status.INVALID_ARGUMENT, status.INTERNAL, status.RESOURCE_EXHAUSTED]).toContain(
          code,
        );
        codes.add(code);
      }),
      { numRuns: 300 },
    );
    expect(codes.has(status.INVALID_ARGUMENT) || codes.has(status.INTERNAL)).toBe(true);
    await stillServes(`after-fuzz-${process.pid}`);
  });
});
