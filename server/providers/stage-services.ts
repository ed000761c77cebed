// The farm's risk and notification services in process, behind the core's RiskPort and NotifyPort:
// each a simulated service (latency, capacity, errors) that faults reach by its id like a provider.
// A risk check that the service answers allows, denies or asks for review at the model's shares,
// drawn from its own stream so the shares hold whatever the latency and fault draws do.
import type { Environment, RandomStream } from "../core/env.ts";
import type {
  NotifyOutcome,
  NotifyPort,
  NotifyRequest,
  RiskOutcome,
  RiskPort,
  RiskRequest,
} from "../core/ports.ts";
import type { Fault, FaultBook } from "./faults.ts";
import type { ProviderModel, RiskModel } from "./model.ts";
import { SimulatedService } from "./simulated-service.ts";

export interface StageServiceInfo<M extends ProviderModel = ProviderModel> {
  model: M;
  inFlight: number;
  queued: number;
  activeFaults: Fault[];
}

/** Faults that name this service; a fault for every provider ("") leaves the services alone. */
function faultsOf(faults: FaultBook, id: string): () => Fault[] {
  return () => faults.active(id).filter((f) => f.providerId === id);
}

function simulated(
  kind: string,
  model: ProviderModel,
  env: Environment,
  faults: FaultBook,
): SimulatedService {
  return new SimulatedService(
    model,
    env,
    faultsOf(faults, model.id),
    env.random(`${kind}-latency:${model.id}`),
    env.random(`${kind}-faults:${model.id}`),
  );
}

export class LocalRiskService implements RiskPort {
  private readonly service: SimulatedService;
  private readonly decisions: RandomStream;

  constructor(
    readonly model: RiskModel,
    env: Environment,
    private readonly faults: FaultBook,
  ) {
    this.service = simulated("risk", model, env, faults);
    this.decisions = env.random(`risk-decisions:${model.id}`);
  }

  get id(): string {
    return this.model.id;
  }

  check(_request: RiskRequest, done: (outcome: RiskOutcome) => void): void {
    this.service.call((answer) => {
      if (answer.kind === "timeout") done({ kind: "error", reason: "timeout" });
      else if (answer.kind === "error") done({ kind: "error", reason: "risk_error" });
      else {
        const u = this.decisions.next();
        if (u < this.model.denyRate) done({ kind: "deny", reason: "risk_model_deny" });
        else if (u < this.model.denyRate + this.model.reviewRate)
          done({ kind: "review", reason: "risk_model_review" });
        else done({ kind: "allow" });
      }
    });
  }

  info(): StageServiceInfo<RiskModel> {
    return infoOf(this.model, this.service, this.faults);
  }
}

export class LocalNotifyService implements NotifyPort {
  private readonly service: SimulatedService;

  constructor(
    readonly model: ProviderModel,
    env: Environment,
    private readonly faults: FaultBook,
  ) {
    this.service = simulated("notify", model, env, faults);
  }

  get id(): string {
    return this.model.id;
  }

  send(_request: NotifyRequest, done: (outcome: NotifyOutcome) => void): void {
    this.service.call((answer) => {
      if (answer.kind === "ok") done({ kind: "sent" });
      else done({ kind: "error", reason: answer.kind === "timeout" ? "timeout" : "notify_error" });
    });
  }

  info(): StageServiceInfo {
    return infoOf(this.model, this.service, this.faults);
  }
}

function infoOf<M extends ProviderModel>(
  model: M,
  service: SimulatedService,
  faults: FaultBook,
): StageServiceInfo<M> {
  return {
    model,
    inFlight: service.inFlight,
    queued: service.queued,
    activeFaults: faultsOf(faults, model.id)(),
  };
}

/** A farm's optional risk and notification services, sharing the providers' fault book. */
export class LocalStageServices {
  readonly risk: LocalRiskService | undefined;
  readonly notification: LocalNotifyService | undefined;

  constructor(spec: { risk?: RiskModel; notification?: ProviderModel }, env: Environment, faults: FaultBook) {
    this.risk = spec.risk === undefined ? undefined : new LocalRiskService(spec.risk, env, faults);
    this.notification =
      spec.notification === undefined ? undefined : new LocalNotifyService(spec.notification, env, faults);
  }

  /** The ids faults may name besides the providers'. */
  get ids(): string[] {
    return [this.risk?.id, this.notification?.id].filter((id) => id !== undefined);
  }

  has(id: string): boolean {
    return this.risk?.id === id || this.notification?.id === id;
  }
}
