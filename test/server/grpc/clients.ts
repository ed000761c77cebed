// Promise-shaped gRPC clients for the tests, over real loopback connections.
import {
  type ChannelCredentials,
  type Client,
  credentials,
  Metadata,
  type ServiceError,
} from "@grpc/grpc-js";
import { AdminServiceClient } from "../../../proto/gen/rushhour/v1/admin.ts";
import type { FaultKind } from "../../../proto/gen/rushhour/v1/common.ts";
import { DispatchServiceClient } from "../../../proto/gen/rushhour/v1/dispatch.ts";
import { ProviderServiceClient } from "../../../proto/gen/rushhour/v1/provider.ts";

type Callback<T> = (err: ServiceError | null, res: T) => void;
type UnaryFn<Req, Res> = (req: Req, md: Metadata, opts: { deadline?: number }, cb: Callback<Res>) => unknown;

export function call<Req, Res>(
  fn: UnaryFn<Req, Res>,
  self: unknown,
  req: Req,
  options: { metadata?: Metadata; deadlineMs?: number } = {},
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const opts = options.deadlineMs === undefined ? {} : { deadline: Date.now() + options.deadlineMs };
    fn.call(self, req, options.metadata ?? new Metadata(), opts, (err, res) =>
      err ? reject(err) : resolve(res),
    );
  });
}

export function bearer(token: string): Metadata {
  const md = new Metadata();
  md.set("authorization", `Bearer ${token}`);
  return md;
}

/** Dispatch and Admin clients of one server; plaintext unless given credentials (TLS). */
export function clients(address: string, creds: ChannelCredentials = credentials.createInsecure()) {
  const dispatch = new DispatchServiceClient(address, creds);
  const admin = new AdminServiceClient(address, creds);
  return {
    dispatch,
    admin,
    close() {
      dispatch.close();
      admin.close();
    },
  };
}

export function providerClient(address: string): ProviderServiceClient {
  return new ProviderServiceClient(address, credentials.createInsecure());
}

/** Resolves with the gRPC error of a promise that must fail. */
export async function failure(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (err) {
    return err as ServiceError;
  }
  throw new Error("expected the call to fail");
}

/**
 * Sends `bytes` as the request of `method` with an identity serializer (the bytes go on the wire as they
 * are); resolves with the status code (OK included), its details and the raw reply.
 */
export function sendRaw(
  client: Client,
  method: string,
  bytes: Buffer,
): Promise<{ code: number; details: string; reply?: Buffer }> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      method,
      (b: Buffer) => b,
      (b: Buffer) => b,
      bytes,
      new Metadata(),
      { deadline: Date.now() + 15_000 },
      (err: ServiceError | null, reply?: Buffer) =>
        resolve(err ? { code: err.code, details: err.details } : { code: 0, details: "", reply }),
    );
  });
}

/** Injects a fault into every provider (probability 1, until cleared) with the admin token. */
export function injectEverywhere(
  admin: AdminServiceClient,
  token: string,
  kind: FaultKind,
  latencyMs = 0,
): Promise<unknown> {
  return call(
    admin.injectFault,
    admin,
    { fault: { providerId: "", kind, probability: 1, latencyMs, durationMs: 0 } },
    { metadata: bearer(token) },
  );
}

/** Clears every provider's faults with the admin token. */
export function clearEverywhere(admin: AdminServiceClient, token: string): Promise<unknown> {
  return call(admin.clearFaults, admin, { providerId: "" }, { metadata: bearer(token) });
}
