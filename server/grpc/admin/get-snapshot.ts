import type { GetSnapshotRequest, GetSnapshotResponse } from "../../../proto/gen/rushhour/v1/admin.ts";
import type { ServerContext } from "../../context.ts";
import { snapshotToProto } from "../convert.ts";

/**
 * The core's snapshot plus process CPU and event-loop utilisation, config version and role; the operation
 * timings only when asked (include_operations): their quantiles and histograms are most of a snapshot's
 * cost, and the load driver samples every window.
 */
export function getSnapshot(ctx: ServerContext) {
  return async (request: GetSnapshotRequest): Promise<GetSnapshotResponse> => ({
    ...snapshotToProto(ctx.dispatcher.snapshot(), {
      toUnix: (t) => ctx.env.toUnixMs(t),
      faults: (id) => ctx.providers.activeFaults(id),
      process: ctx.processStats.snapshot(),
      configVersion: ctx.config.version,
      role: ctx.role,
    }),
    operations: request.includeOperations ? ctx.operations.views() : [],
  });
}
