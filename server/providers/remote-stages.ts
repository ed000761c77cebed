// The core's RiskPort and NotifyPort over gRPC: each call goes to the farm (`rushhour providers`) that
// serves the risk or notification service, with a deadline. The port contract holds: `done` is called
// once per call (grpc-js answers each call once, at the latest at its deadline); the core arms its own,
// usually shorter, timeout and ignores an answer that comes after it.
import { Metadata } from "@grpc/grpc-js";
import { type ProviderServiceClient, RiskDecision } from "../../proto/gen/rushhour/v1/provider.ts";
import type {
  NotifyOutcome,
  NotifyPort,
  NotifyRequest,
  RiskOutcome,
  RiskPort,
  RiskRequest,
} from "../core/ports.ts";
import { tierToProto } from "../grpc/convert.ts";
import { reasonOf } from "./remote.ts";

export class RemoteRisk implements RiskPort {
  constructor(
    private readonly client: ProviderServiceClient,
    readonly id: string,
    private readonly deadlineMs: number,
    /** Writes the order's trace context into the call's metadata (serve --otlp; server/tracing.ts). */
    private readonly trace?: (orderId: string, metadata: Metadata) => void,
  ) {}

  check(request: RiskRequest, done: (outcome: RiskOutcome) => void): void {
    const metadata = new Metadata();
    this.trace?.(request.orderId, metadata);
    this.client.checkRisk(
      { serviceId: this.id, ...request, tier: tierToProto(request.tier) },
      metadata,
      { deadline: Date.now() + this.deadlineMs },
      (err, res) => {
        if (err !== null) return done({ kind: "error", reason: reasonOf(err.code, "risk_error") });
        switch (res.decision) {
          case RiskDecision.RISK_DECISION_ALLOW:
            return done({ kind: "allow" });
          case RiskDecision.RISK_DECISION_DENY:
            return done({ kind: "deny", reason: res.reason });
          case RiskDecision.RISK_DECISION_REVIEW:
            return done({ kind: "review", reason: res.reason });
          default:
            return done({ kind: "error", reason: `risk_decision_${res.decision}` });
        }
      },
    );
  }
}

export class RemoteNotify implements NotifyPort {
  constructor(
    private readonly client: ProviderServiceClient,
    readonly id: string,
    private readonly deadlineMs: number,
    /** Writes the order's trace context into the call's metadata (serve --otlp; server/tracing.ts). */
    private readonly trace?: (orderId: string, metadata: Metadata) => void,
  ) {}

  send(request: NotifyRequest, done: (outcome: NotifyOutcome) => void): void {
    const metadata = new Metadata();
    this.trace?.(request.orderId, metadata);
    this.client.sendNotification(
      { serviceId: this.id, ...request, tier: tierToProto(request.tier) },
      metadata,
      { deadline: Date.now() + this.deadlineMs },
      (err) => {
        if (err === null) done({ kind: "sent" });
        else done({ kind: "error", reason: reasonOf(err.code, "notify_error") });
      },
    );
  }
}
