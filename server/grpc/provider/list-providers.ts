import type { ListProvidersResponse, StageServiceInfo } from "../../../proto/gen/rushhour/v1/provider.ts";
import type { RiskModel } from "../../providers/model.ts";
import type { StageServiceInfo as LocalInfo } from "../../providers/stage-services.ts";
import { faultToProto } from "../convert.ts";
import type { FarmServices } from "./farm-services.ts";

export function listProviders(farm: FarmServices) {
  return async (): Promise<ListProvidersResponse> => ({
    providers: farm.providers.info().map((p) => ({
      providerId: p.model.id,
      p50Ms: p.model.p50Ms,
      p99Ms: p.model.p99Ms,
      capacity: p.model.capacity,
      errorRate: p.model.errorRate,
      inFlight: p.inFlight,
      activeFaults: p.activeFaults.map(faultToProto),
    })),
    risk: farm.stages.risk === undefined ? undefined : stageInfo(farm.stages.risk.info()),
    notification:
      farm.stages.notification === undefined ? undefined : stageInfo(farm.stages.notification.info()),
  });
}

function stageInfo(info: LocalInfo<RiskModel> | LocalInfo): StageServiceInfo {
  const m = info.model;
  return {
    serviceId: m.id,
    p50Ms: m.p50Ms,
    p99Ms: m.p99Ms,
    capacity: m.capacity,
    errorRate: m.errorRate,
    denyRate: "denyRate" in m ? m.denyRate : 0,
    reviewRate: "reviewRate" in m ? m.reviewRate : 0,
    inFlight: info.inFlight,
    activeFaults: info.activeFaults.map(faultToProto),
  };
}
