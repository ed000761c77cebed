import { status } from "@grpc/grpc-js";
import type { IssueCardRequest, IssueCardResponse } from "../../../proto/gen/rushhour/v1/provider.ts";
import type { LocalProviders } from "../../providers/local.ts";
import { notFound, RpcError } from "../status.ts";
import { checkOrderId } from "../validate.ts";
import { serviceFailure } from "./service-failure.ts";

/** Issues one card on one simulated provider of the farm; a provider error is UNAVAILABLE. */
export function issueCard(providers: LocalProviders) {
  return (request: IssueCardRequest): Promise<IssueCardResponse> => {
    if (request.providerId === "") throw new RpcError(status.INVALID_ARGUMENT, "provider_id: required");
    if (!providers.has(request.providerId))
      throw notFound(`unknown provider ${JSON.stringify(request.providerId)}`);
    checkOrderId("order_id", request.orderId);
    const started = performance.now();
    return new Promise((resolve, reject) => {
      providers.issue(
        {
          providerId: request.providerId,
          orderId: request.orderId,
          sku: request.sku,
          cardId: request.cardId,
          attempt: request.attempt,
        },
        (outcome) => {
          if (outcome.kind === "issued") {
            resolve({
              providerId: request.providerId,
              receipt: outcome.receipt,
              serviceMs: performance.now() - started,
            });
          } else {
            reject(serviceFailure(`provider ${request.providerId}`, outcome.reason));
          }
        },
      );
    });
  };
}
