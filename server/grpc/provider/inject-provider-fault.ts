import type {
  InjectProviderFaultRequest,
  InjectProviderFaultResponse,
} from "../../../proto/gen/rushhour/v1/provider.ts";
import { faultFromRequest } from "../fault-input.ts";
import { type FarmServices, farmHas } from "./farm-services.ts";

/** A fault may name a provider, the risk service or the notification service of the farm. */
export function injectProviderFault(farm: FarmServices) {
  return async (request: InjectProviderFaultRequest): Promise<InjectProviderFaultResponse> => {
    const fault = faultFromRequest(request.fault, (id) => farmHas(farm, id));
    return { faultId: farm.providers.inject(fault).id };
  };
}
