import type { ListProvidersResponse } from "../../../proto/gen/rushhour/v1/provider.ts";
import type { LocalProviders } from "../../providers/local.ts";
import { faultToProto } from "../convert.ts";

export function listProviders(providers: LocalProviders) {
  return async (): Promise<ListProvidersResponse> => ({
    providers: providers.info().map((p) => ({
      providerId: p.model.id,
      p50Ms: p.model.p50Ms,
      p99Ms: p.model.p99Ms,
      capacity: p.model.capacity,
      errorRate: p.model.errorRate,
      inFlight: p.inFlight,
      activeFaults: p.activeFaults.map(faultToProto),
    })),
  });
}
