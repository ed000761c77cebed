// What the farm's ProviderService serves: the simulated providers and the optional risk and
// notification services, which share the providers' fault book (a fault names either by id).
import type { LocalProviders } from "../../providers/local.ts";
import type { LocalStageServices } from "../../providers/stage-services.ts";

export interface FarmServices {
  providers: LocalProviders;
  stages: LocalStageServices;
}

/** A provider or a stage service of this farm: what a fault may name. */
export const farmHas = (farm: FarmServices, id: string): boolean =>
  farm.providers.has(id) || farm.stages.has(id);
