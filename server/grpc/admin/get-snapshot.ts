import type { GetSnapshotResponse } from "../../../proto/gen/rushhour/v1/admin.ts";
import type { ServerContext } from "../../context.ts";
import { snapshotToProto } from "../convert.ts";

/** The core's snapshot plus process CPU and event-loop utilisation, config version, role and operation timings. */
export function getSnapshot(ctx: ServerContext) {
  return async (): Promise<GetSnapshotResponse> => ({
    ...snapshotToProto(ctx.dispatcher.snapshot(), {
      toUnix: (t) => ctx.env.toUnixMs(t),
      faults: (id) => ctx.providers.activeFaults(id),
      process: ctx.processStats.snapshot(),
      configVersion: ctx.config.version,
      role: ctx.role,
    }),
    operations: ctx.operations.views(),
  });
}
