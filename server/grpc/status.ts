// The one place that maps errors to gRPC status codes. Handlers throw RpcError (or let anything
// else escape, which becomes INTERNAL without leaking a stack trace to the client).
import type { PeerCertificate } from "node:tls";
import { Metadata, type ServiceError, status } from "@grpc/grpc-js";

export class RpcError extends Error {
  override name = "RpcError";
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

/** INVALID_ARGUMENT naming the field: "sku: must be 1-64 characters of [A-Za-z0-9._:-]". */
export function invalidArgument(field: string, message: string): RpcError {
  return new RpcError(status.INVALID_ARGUMENT, `${field}: ${message}`);
}

/** FAILED_PRECONDITION naming the field: the request contradicts what the server already holds. */
export function failedPrecondition(field: string, message: string): RpcError {
  return new RpcError(status.FAILED_PRECONDITION, `${field}: ${message}`);
}

export const notFound = (message: string) => new RpcError(status.NOT_FOUND, message);
export const unauthenticated = (message: string) => new RpcError(status.UNAUTHENTICATED, message);
/** Shedding: the reason travels in the message and in `rushhour-reject-reason` trailing metadata. */
export function resourceExhausted(reason: string): RpcError {
  return new RpcError(status.RESOURCE_EXHAUSTED, `rejected: ${reason}`);
}
export const unavailable = (message: string) => new RpcError(status.UNAVAILABLE, message);
export const deadlineExceeded = (message: string) => new RpcError(status.DEADLINE_EXCEEDED, message);

/** Turns anything thrown by a handler into a status for the client. */
export function toServiceError(err: unknown): Partial<ServiceError> {
  if (err instanceof RpcError) {
    const metadata = new Metadata();
    if (err.code === status.RESOURCE_EXHAUSTED) {
      metadata.set("rushhour-reject-reason", err.message.replace(/^rejected: /, ""));
    }
    return { code: err.code, details: err.message, metadata };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: status.INTERNAL, details: `internal error: ${message}` };
}

/** What a unary handler sees of its call (grpc-js's ServerUnaryCall has all of it). */
export interface UnaryCallInfo {
  metadata: Metadata;
  getDeadline(): Date | number;
  cancelled: boolean;
  /** The TLS peer (a client certificate), when the port speaks TLS. */
  getAuthContext?(): PeerAuth | null;
}

/** The part of grpc-js's AuthContext (not exported by the package) we read: the client's certificate. */
export interface PeerAuth {
  sslPeerCertificate?: PeerCertificate;
}

/** Wraps a promise-returning unary handler into grpc-js's callback form with one error mapping. */
export function unary<Req, Res>(handler: (request: Req, call: UnaryCallInfo) => Promise<Res>) {
  return (
    call: UnaryCallInfo & { request: Req },
    callback: (error: Partial<ServiceError> | null, value?: Res) => void,
  ): void => {
    let result: Promise<Res>;
    try {
      result = handler(call.request, call);
    } catch (err) {
      // A handler that validates before its first await throws synchronously.
      result = Promise.reject(err);
    }
    result.then(
      (value) => callback(null, value),
      (err: unknown) => callback(toServiceError(err)),
    );
  };
}

/** Milliseconds left before the call's deadline (Infinity when the client set none). */
export function msUntilDeadline(call: { getDeadline(): Date | number }): number {
  const deadline = call.getDeadline();
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  if (!Number.isFinite(at)) return Number.POSITIVE_INFINITY;
  return at - Date.now();
}
