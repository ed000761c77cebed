// In-process simulated providers behind the core's ProviderPort: each has a lognormal latency,
// a capacity (concurrent calls; more wait in FIFO order), a base error rate and injectable faults.
// `rushhour serve --providers local` uses them directly; `rushhour providers` serves them over gRPC.
import type { Environment, RandomStream } from "../core/env.ts";
import type { IssueOutcome, IssueRequest, ProviderPort } from "../core/ports.ts";
import { type Fault, FaultBook, type FaultInput } from "./faults.ts";
import type { ProviderModel } from "./model.ts";
import { SimulatedService } from "./simulated-service.ts";

/** One card-issuing provider: a simulated service whose success is an issued card with a receipt. */
class SimulatedProvider {
  issued = 0;
  private readonly service: SimulatedService;

  constructor(model: ProviderModel, env: Environment, faults: FaultBook, faultRandom: RandomStream) {
    this.service = new SimulatedService(
      model,
      env,
      () => faults.active(model.id),
      env.random(`provider-latency:${model.id}`),
      faultRandom,
    );
  }

  get model(): ProviderModel {
    return this.service.model;
  }

  get inFlight(): number {
    return this.service.inFlight;
  }

  get queued(): number {
    return this.service.queued;
  }

  call(done: (outcome: IssueOutcome) => void): void {
    this.service.call((answer) => {
      if (answer.kind === "ok") done({ kind: "issued", receipt: `${this.model.id}-${++this.issued}` });
      else done({ kind: "error", reason: answer.kind === "timeout" ? "timeout" : "provider_error" });
    });
  }
}

export interface LocalProviderInfo {
  model: ProviderModel;
  inFlight: number;
  queued: number;
  activeFaults: Fault[];
}

/** A set of simulated providers addressed by id; a ProviderPort for the core. */
export class LocalProviders implements ProviderPort {
  readonly faults: FaultBook;
  private readonly byId = new Map<string, SimulatedProvider>();

  constructor(
    models: ProviderModel[],
    private readonly env: Environment,
  ) {
    this.faults = new FaultBook(() => env.now());
    const faultRandom = env.random("provider-faults");
    for (const model of models)
      this.byId.set(model.id, new SimulatedProvider(model, env, this.faults, faultRandom));
  }

  get ids(): string[] {
    return [...this.byId.keys()];
  }

  has(providerId: string): boolean {
    return this.byId.has(providerId);
  }

  issue(request: IssueRequest, done: (outcome: IssueOutcome) => void): void {
    const provider = this.byId.get(request.providerId);
    if (provider === undefined) {
      this.env.schedule(0, () => done({ kind: "error", reason: "unknown_provider" }));
      return;
    }
    provider.call(done);
  }

  inject(input: FaultInput): Fault {
    return this.faults.inject(input);
  }

  clear(providerId = ""): number {
    return this.faults.clear(providerId);
  }

  info(): LocalProviderInfo[] {
    return [...this.byId.values()].map((p) => ({
      model: p.model,
      inFlight: p.inFlight,
      queued: p.queued,
      activeFaults: this.faults.active(p.model.id),
    }));
  }
}
