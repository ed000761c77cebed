import type {
  InjectProviderFaultRequest,
  InjectProviderFaultResponse,
} from "../../../proto/gen/rushhour/v1/provider.ts";
import type { LocalProviders } from "../../providers/local.ts";
import { faultFromRequest } from "../fault-input.ts";

export function injectProviderFault(providers: LocalProviders) {
  return async (request: InjectProviderFaultRequest): Promise<InjectProviderFaultResponse> => {
    const fault = faultFromRequest(request.fault, (id) => providers.has(id));
    return { faultId: providers.inject(fault).id };
  };
}
