// The simulated risk-control and notification services (scenario `risk` and `notification`), each a
// SimService (service.ts) with faults addressed by its id. The risk service's verdicts come from a
// stream of their own ("verdicts:<id>"), so adding deny or review rates moves no other draw.

import type { FaultSpec, NotificationServiceSpec, RiskServiceSpec } from "../../scenarios/schema.ts";
import type {
  NotifyOutcome,
  NotifyPort,
  NotifyRequest,
  RiskOutcome,
  RiskPort,
  RiskRequest,
} from "../../server/core/ports.ts";
import type { VirtualEnvironment } from "../kernel/virtual-env.ts";
import { type ServiceStats, SimService } from "./service.ts";

const ALLOW: RiskOutcome = { kind: "allow" };
const DENY: RiskOutcome = { kind: "deny", reason: "risk score over the deny threshold" };
const REVIEW: RiskOutcome = { kind: "review", reason: "risk score in the review band" };
const RISK_ERROR: RiskOutcome = { kind: "error", reason: "risk service error" };
const RISK_FAULT: RiskOutcome = { kind: "error", reason: "risk service fault: error" };

export class SimRisk implements RiskPort {
  private readonly service: SimService<RiskOutcome>;

  constructor(
    env: VirtualEnvironment,
    spec: RiskServiceSpec,
    faults: readonly FaultSpec[],
    /** The arrival rate a latency measured at several rates is drawn at (service.ts). */
    rate?: () => number,
  ) {
    const verdicts = env.random(`verdicts:${spec.id}`);
    const verdict = (): RiskOutcome => {
      if (spec.denyRate + spec.reviewRate <= 0) return ALLOW;
      const u = verdicts.next();
      if (u < spec.denyRate) return DENY;
      return u < spec.denyRate + spec.reviewRate ? REVIEW : ALLOW;
    };
    this.service = new SimService<RiskOutcome>(
      env,
      spec,
      faults.filter((f) => f.provider === spec.id),
      verdict,
      (fault) => (fault ? RISK_FAULT : RISK_ERROR),
      rate,
    );
  }

  check(_request: RiskRequest, done: (outcome: RiskOutcome) => void): void {
    this.service.call(done);
  }

  stats(): ServiceStats {
    return this.service.snapshotStats();
  }
}

const SENT: NotifyOutcome = { kind: "sent" };
const NOTIFY_ERROR: NotifyOutcome = { kind: "error", reason: "notification service error" };
const NOTIFY_FAULT: NotifyOutcome = { kind: "error", reason: "notification service fault: error" };

export class SimNotify implements NotifyPort {
  private readonly service: SimService<NotifyOutcome>;

  constructor(
    env: VirtualEnvironment,
    spec: NotificationServiceSpec,
    faults: readonly FaultSpec[],
    /** The arrival rate a latency measured at several rates is drawn at (service.ts). */
    rate?: () => number,
  ) {
    this.service = new SimService<NotifyOutcome>(
      env,
      spec,
      faults.filter((f) => f.provider === spec.id),
      () => SENT,
      (fault) => (fault ? NOTIFY_FAULT : NOTIFY_ERROR),
      rate,
    );
  }

  send(_request: NotifyRequest, done: (outcome: NotifyOutcome) => void): void {
    this.service.call(done);
  }

  stats(): ServiceStats {
    return this.service.snapshotStats();
  }
}
