// Simulated card-issuing providers behind one ProviderPort: each has a latency distribution, a
// concurrency capacity with a FIFO queue in front of it, a base error rate and a fault schedule.
// Faults: "timeout" and "blackhole" never answer (the core's own timeout fires); "error" answers an
// error quickly; "latency" adds latencyMs to the service time. Each provider draws from its own
// streams, so one provider's traffic does not shift another's random numbers.

import type { FaultSpec, ProviderSpec } from "../../scenarios/schema.ts";
import type { RandomStream } from "../../server/core/env.ts";
import type { IssueOutcome, IssueRequest, ProviderPort } from "../../server/core/ports.ts";
import { type Distribution, distributionFromSpec } from "../kernel/distributions.ts";
import type { VirtualEnvironment } from "../kernel/virtual-env.ts";

/** How long an "error" fault takes to answer. */
const FAULT_ERROR_MS = 2;

type Done = (outcome: IssueOutcome) => void;

export interface ProviderStats {
  calls: number;
  errors: number;
  /** Calls a fault swallowed or failed. */
  faulted: number;
  busy: number;
  queued: number;
}

class SimProvider {
  busy = 0;
  private queue: Done[] = [];
  private head = 0;
  readonly stats: ProviderStats = { calls: 0, errors: 0, faulted: 0, busy: 0, queued: 0 };
  private readonly latency: Distribution;
  private readonly serviceRng: RandomStream;
  private readonly errorRng: RandomStream;
  private readonly faultRng: RandomStream;
  /** One shared outcome object: the core reads it and keeps nothing of it. */
  private readonly issued: IssueOutcome;

  constructor(
    private readonly env: VirtualEnvironment,
    readonly spec: ProviderSpec,
    private readonly faults: FaultSpec[],
  ) {
    this.latency = distributionFromSpec(spec.latency);
    this.serviceRng = env.random(`service:${spec.id}`);
    this.errorRng = env.random(`errors:${spec.id}`);
    this.faultRng = env.random(`faults:${spec.id}`);
    this.issued = { kind: "issued", receipt: spec.id };
  }

  issue(done: Done): void {
    this.stats.calls++;
    if (this.busy < this.spec.capacity) this.start(done);
    else this.queue.push(done);
  }

  private activeFault(now: number): FaultSpec | null {
    for (const f of this.faults) {
      if (now >= f.at && now < f.at + f.duration) {
        // One draw per call while any fault is active, whatever the probability.
        return this.faultRng.next() < f.probability ? f : null;
      }
    }
    return null;
  }

  private start(done: Done): void {
    const fault = this.activeFault(this.env.now());
    if (fault !== null && (fault.kind === "timeout" || fault.kind === "blackhole")) {
      // The call is swallowed: it never answers and holds no capacity.
      this.stats.faulted++;
      return;
    }
    this.busy++;
    if (fault !== null && fault.kind === "error") {
      this.stats.faulted++;
      this.env.schedule(FAULT_ERROR_MS, () =>
        this.finish(done, { kind: "error", reason: "provider fault: error" }),
      );
      return;
    }
    let service = this.latency.sample(this.serviceRng);
    if (fault !== null && fault.kind === "latency") service += fault.latencyMs ?? 0;
    const failed = this.spec.errorRate > 0 && this.errorRng.next() < this.spec.errorRate;
    const outcome: IssueOutcome = failed ? { kind: "error", reason: "provider error" } : this.issued;
    if (failed) this.stats.errors++;
    this.env.schedule(service, () => this.finish(done, outcome));
  }

  private finish(done: Done, outcome: IssueOutcome): void {
    this.busy--;
    done(outcome);
    if (this.head < this.queue.length && this.busy < this.spec.capacity) {
      const next = this.queue[this.head]!;
      this.queue[this.head++] = undefined as unknown as Done; // release the reference for GC
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      this.start(next);
    }
  }

  get queued(): number {
    return this.queue.length - this.head;
  }
}

export class SimProviders implements ProviderPort {
  private readonly byId = new Map<string, SimProvider>();

  constructor(env: VirtualEnvironment, specs: readonly ProviderSpec[], faults: readonly FaultSpec[]) {
    for (const spec of specs) {
      this.byId.set(
        spec.id,
        new SimProvider(
          env,
          spec,
          faults.filter((f) => f.provider === spec.id),
        ),
      );
    }
  }

  get ids(): string[] {
    return [...this.byId.keys()];
  }

  issue(request: IssueRequest, done: (outcome: IssueOutcome) => void): void {
    const p = this.byId.get(request.providerId);
    if (p === undefined) {
      done({ kind: "error", reason: `unknown provider ${request.providerId}` });
      return;
    }
    p.issue(done);
  }

  stats(id: string): ProviderStats | undefined {
    const p = this.byId.get(id);
    if (p === undefined) return undefined;
    return { ...p.stats, busy: p.busy, queued: p.queued };
  }
}
