import type {
  ClearProviderFaultsRequest,
  ClearProviderFaultsResponse,
} from "../../../proto/gen/rushhour/v1/provider.ts";
import type { LocalProviders } from "../../providers/local.ts";

export function clearProviderFaults(providers: LocalProviders) {
  return async (request: ClearProviderFaultsRequest): Promise<ClearProviderFaultsResponse> => ({
    cleared: providers.clear(request.providerId),
  });
}
