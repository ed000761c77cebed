// WatchEvents: core events as they happen, filtered by kind, until the client cancels.
import type { ServerWritableStream } from "@grpc/grpc-js";
import {
  EventKind,
  type WatchEventsRequest,
  type WatchEventsResponse,
} from "../../../proto/gen/rushhour/v1/admin.ts";
import type { ServerContext } from "../../context.ts";
import { eventKindOf, eventToProto } from "../convert.ts";
import { invalidArgument } from "../status.ts";

const KINDS = new Set<number>([
  EventKind.EVENT_KIND_HEALTH_TRANSITION,
  EventKind.EVENT_KIND_ROUTE_SWITCH,
  EventKind.EVENT_KIND_HOT_SKU,
  EventKind.EVENT_KIND_INCIDENT,
]);

export function watchEvents(ctx: ServerContext) {
  return (call: ServerWritableStream<WatchEventsRequest, WatchEventsResponse>): (() => void) => {
    call.request.kinds.forEach((k, i) => {
      if (!KINDS.has(k)) throw invalidArgument(`kinds[${i}]`, `unknown event kind ${k}`);
    });
    const wanted = new Set<number>(call.request.kinds);
    const unsubscribe = ctx.dispatcher.onEvent((event) => {
      if (wanted.size > 0 && !wanted.has(eventKindOf(event))) return;
      call.write(eventToProto(event, (t) => ctx.env.toUnixMs(t)));
    });
    call.on("cancelled", unsubscribe);
    call.on("close", unsubscribe);
    return unsubscribe;
  };
}
