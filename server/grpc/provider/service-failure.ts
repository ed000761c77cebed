import { status } from "@grpc/grpc-js";
import { RpcError } from "../status.ts";

/** A simulated service's failure as the caller sees it: a timeout is DEADLINE_EXCEEDED, the rest UNAVAILABLE. */
export function serviceFailure(what: string, reason: string): RpcError {
  return reason === "timeout"
    ? new RpcError(status.DEADLINE_EXCEEDED, `${what} timed out`)
    : new RpcError(status.UNAVAILABLE, `${what}: ${reason}`);
}
