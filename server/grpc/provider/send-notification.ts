import { status } from "@grpc/grpc-js";
import type {
  SendNotificationRequest,
  SendNotificationResponse,
} from "../../../proto/gen/rushhour/v1/provider.ts";
import type { LocalStageServices } from "../../providers/stage-services.ts";
import { tierFromProto } from "../convert.ts";
import { notFound, RpcError } from "../status.ts";
import { checkOrderId } from "../validate.ts";
import { serviceFailure } from "./service-failure.ts";

/** One notification through the farm's notification service; UNAVAILABLE / DEADLINE_EXCEEDED when it fails. */
export function sendNotification(stages: LocalStageServices) {
  return (request: SendNotificationRequest): Promise<SendNotificationResponse> => {
    if (request.serviceId === "") throw new RpcError(status.INVALID_ARGUMENT, "service_id: required");
    const notification = stages.notification;
    if (notification === undefined || notification.id !== request.serviceId)
      throw notFound(`this farm serves no notification service ${JSON.stringify(request.serviceId)}`);
    checkOrderId("order_id", request.orderId);
    const started = performance.now();
    return new Promise((resolve, reject) => {
      notification.send(
        {
          orderId: request.orderId,
          sku: request.sku,
          tier: tierFromProto(request.tier),
          attempt: request.attempt,
        },
        (outcome) => {
          if (outcome.kind === "sent") resolve({ serviceMs: performance.now() - started });
          else reject(serviceFailure(`notification service ${notification.id}`, outcome.reason));
        },
      );
    });
  };
}
