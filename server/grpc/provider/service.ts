// The ProviderService of `rushhour providers`: a farm of simulated providers behind gRPC.
import type { ProviderServiceServer } from "../../../proto/gen/rushhour/v1/provider.ts";
import type { LocalProviders } from "../../providers/local.ts";
import { unary } from "../status.ts";
import { clearProviderFaults } from "./clear-provider-faults.ts";
import { injectProviderFault } from "./inject-provider-fault.ts";
import { issueCard } from "./issue-card.ts";
import { listProviders } from "./list-providers.ts";

export function providerService(providers: LocalProviders): ProviderServiceServer {
  return {
    issueCard: unary(issueCard(providers)),
    listProviders: unary(listProviders(providers)),
    injectProviderFault: unary(injectProviderFault(providers)),
    clearProviderFaults: unary(clearProviderFaults(providers)),
  };
}
