// The AdminService: every call checks the bearer token first.
import type { Metadata, ServerWritableStream } from "@grpc/grpc-js";
import type {
  AdminServiceServer,
  WatchEventsRequest,
  WatchEventsResponse,
} from "../../../proto/gen/rushhour/v1/admin.ts";
import type { ServerContext } from "../../context.ts";
import { checkBearer } from "../auth.ts";
import { toServiceError, unary } from "../status.ts";
import { applyConfig } from "./apply-config.ts";
import { clearFaults } from "./clear-faults.ts";
import { getCanaryVerdict } from "./get-canary-verdict.ts";
import { getConfig } from "./get-config.ts";
import { getSnapshot } from "./get-snapshot.ts";
import { importCards } from "./import-cards.ts";
import { injectFault } from "./inject-fault.ts";
import { startCanary } from "./start-canary.ts";
import { stopCanary } from "./stop-canary.ts";
import { watchEvents } from "./watch-events.ts";

function guarded<Req, Res>(token: string, handler: (request: Req) => Promise<Res>) {
  return unary<Req, Res>(async (request, call: { metadata: Metadata }) => {
    checkBearer(call.metadata, token);
    return handler(request);
  });
}

export function adminService(ctx: ServerContext, token: string): AdminServiceServer {
  const watch = watchEvents(ctx);
  return {
    getConfig: guarded(token, getConfig(ctx)),
    applyConfig: guarded(token, applyConfig(ctx)),
    startCanary: guarded(token, startCanary(ctx)),
    getCanaryVerdict: guarded(token, getCanaryVerdict(ctx)),
    stopCanary: guarded(token, stopCanary(ctx)),
    injectFault: guarded(token, injectFault(ctx)),
    clearFaults: guarded(token, clearFaults(ctx)),
    importCards: guarded(token, importCards(ctx)),
    getSnapshot: guarded(token, getSnapshot(ctx)),
    watchEvents: (call: ServerWritableStream<WatchEventsRequest, WatchEventsResponse>) => {
      try {
        checkBearer(call.metadata, token);
        watch(call);
      } catch (err) {
        call.emit("error", toServiceError(err));
      }
    },
  };
}
