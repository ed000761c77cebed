// The ProviderService of `rushhour providers`: a farm of simulated providers (and, when its spec has
// them, a risk service and a notification service) behind gRPC.
import type { ProviderServiceServer } from "../../../proto/gen/rushhour/v1/provider.ts";
import { unary } from "../status.ts";
import { checkRisk } from "./check-risk.ts";
import { clearProviderFaults } from "./clear-provider-faults.ts";
import type { FarmServices } from "./farm-services.ts";
import { injectProviderFault } from "./inject-provider-fault.ts";
import { issueCard } from "./issue-card.ts";
import { listProviders } from "./list-providers.ts";
import { sendNotification } from "./send-notification.ts";

export function providerService(farm: FarmServices): ProviderServiceServer {
  return {
    issueCard: unary(issueCard(farm.providers)),
    listProviders: unary(listProviders(farm)),
    injectProviderFault: unary(injectProviderFault(farm)),
    clearProviderFaults: unary(clearProviderFaults(farm.providers)),
    checkRisk: unary(checkRisk(farm.stages)),
    sendNotification: unary(sendNotification(farm.stages)),
  };
}
