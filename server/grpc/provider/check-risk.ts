import { status } from "@grpc/grpc-js";
import {
  type CheckRiskRequest,
  type CheckRiskResponse,
  RiskDecision,
} from "../../../proto/gen/rushhour/v1/provider.ts";
import type { LocalStageServices } from "../../providers/stage-services.ts";
import { tierFromProto } from "../convert.ts";
import { notFound, RpcError } from "../status.ts";
import { checkOrderId } from "../validate.ts";
import { serviceFailure } from "./service-failure.ts";

/** One check on the farm's risk service: its decision, or UNAVAILABLE / DEADLINE_EXCEEDED when it fails. */
export function checkRisk(stages: LocalStageServices) {
  return (request: CheckRiskRequest): Promise<CheckRiskResponse> => {
    if (request.serviceId === "") throw new RpcError(status.INVALID_ARGUMENT, "service_id: required");
    const risk = stages.risk;
    if (risk === undefined || risk.id !== request.serviceId)
      throw notFound(`this farm serves no risk service ${JSON.stringify(request.serviceId)}`);
    checkOrderId("order_id", request.orderId);
    const started = performance.now();
    return new Promise((resolve, reject) => {
      risk.check(
        {
          orderId: request.orderId,
          sku: request.sku,
          tier: tierFromProto(request.tier),
          amountCents: request.amountCents,
          attempt: request.attempt,
        },
        (outcome) => {
          const serviceMs = performance.now() - started;
          switch (outcome.kind) {
            case "allow":
              return resolve({ decision: RiskDecision.RISK_DECISION_ALLOW, reason: "", serviceMs });
            case "deny":
              return resolve({
                decision: RiskDecision.RISK_DECISION_DENY,
                reason: outcome.reason,
                serviceMs,
              });
            case "review":
              return resolve({
                decision: RiskDecision.RISK_DECISION_REVIEW,
                reason: outcome.reason,
                serviceMs,
              });
            case "error":
              return reject(serviceFailure(`risk service ${risk.id}`, outcome.reason));
          }
        },
      );
    });
  };
}
