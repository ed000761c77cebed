// In-process simulated providers behind the core's ProviderPort: each has a lognormal latency,
// a capacity (concurrent calls; more wait in FIFO order), a base error rate and injectable faults.
// `rushhour serve --providers local` uses them directly; `rushhour providers` serves them over gRPC.
import type { Environment, RandomStream } from "../core/env.ts";
import type { IssueOutcome, IssueRequest, ProviderPort } from "../core/ports.ts";
import { type Fault, FaultBook, type FaultInput } from "./faults.ts";
import { latencySampler, type ProviderModel } from "./model.ts";

/** How long a call held by a timeout fault hangs before the provider gives up on it itself. */
const TIMEOUT_FAULT_HANG_MS = 10_000;

interface PendingCall {
  request: IssueRequest;
  done: (outcome: IssueOutcome) => void;
}

class SimulatedProvider {
  inFlight = 0;
  issued = 0;
  private readonly queue: PendingCall[] = [];
  private queueHead = 0;
  private readonly sampleLatency: () => number;

  constructor(
    readonly model: ProviderModel,
    private readonly env: Environment,
    private readonly faults: FaultBook,
    private readonly faultRandom: RandomStream,
  ) {
    this.sampleLatency = latencySampler(model, env.random(`provider-latency:${model.id}`));
  }

  get queued(): number {
    return this.queue.length - this.queueHead;
  }

  call(request: IssueRequest, done: (outcome: IssueOutcome) => void): void {
    if (this.inFlight < this.model.capacity) this.run(request, done);
    else this.queue.push({ request, done });
  }

  private run(_request: IssueRequest, done: (outcome: IssueOutcome) => void): void {
    this.inFlight++;
    let latency = this.sampleLatency();
    let failure: string | null =
      this.model.errorRate > 0 && this.faultRandom.next() < this.model.errorRate ? "provider_error" : null;
    for (const fault of this.faults.active(this.model.id)) {
      if (fault.probability < 1 && this.faultRandom.next() >= fault.probability) continue;
      switch (fault.kind) {
        case "blackhole":
          // Swallowed: no answer, ever. The slot frees at once (the provider never saw the call).
          this.finish();
          return;
        case "timeout":
          this.env.schedule(TIMEOUT_FAULT_HANG_MS, () => {
            this.finish();
            done({ kind: "error", reason: "timeout" });
          });
          return;
        case "error":
          failure = "provider_error";
          latency = Math.min(latency, 1);
          break;
        case "latency":
          latency += fault.latencyMs;
          break;
      }
    }
    this.env.schedule(latency, () => {
      this.finish();
      if (failure !== null) done({ kind: "error", reason: failure });
      else done({ kind: "issued", receipt: `${this.model.id}-${++this.issued}` });
    });
  }

  private finish(): void {
    this.inFlight--;
    if (this.queueHead < this.queue.length && this.inFlight < this.model.capacity) {
      const next = this.queue[this.queueHead]!;
      this.queue[this.queueHead++] = undefined as unknown as PendingCall;
      if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
        this.queue.splice(0, this.queueHead);
        this.queueHead = 0;
      }
      this.run(next.request, next.done);
    }
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
    provider.call(request, done);
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
