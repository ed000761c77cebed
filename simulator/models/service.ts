// One simulated external service (a card-issuing provider, the risk service, the notification
// service): a latency distribution, a concurrency capacity with a FIFO queue in front of it, a base
// error rate and a fault schedule. Faults: "timeout" and "blackhole" never answer (the core's own
// timeout fires); "error" answers an error quickly; "latency" adds latencyMs to the service time.
// Each service draws from its own streams (named after its id), so one service's traffic does not
// shift another's random numbers.

import type { FaultSpec, LatencySpec } from "../../scenarios/schema.ts";
import type { RandomStream } from "../../server/core/env.ts";
import {
  type Distribution,
  distributionFromSpec,
  type RateDistribution,
  rateDistributionFromSpec,
} from "../kernel/distributions.ts";
import type { VirtualEnvironment } from "../kernel/virtual-env.ts";

/** How long an "error" fault takes to answer. */
const FAULT_ERROR_MS = 2;

export interface ServiceStats {
  calls: number;
  errors: number;
  /** Calls a fault swallowed or failed. */
  faulted: number;
  busy: number;
  queued: number;
}

export interface ServiceSpec {
  id: string;
  latency: LatencySpec;
  capacity: number;
  errorRate: number;
}

export class SimService<O> {
  busy = 0;
  private queue: ((outcome: O) => void)[] = [];
  private head = 0;
  readonly stats: ServiceStats = { calls: 0, errors: 0, faulted: 0, busy: 0, queued: 0 };
  private readonly latency: Distribution;
  /** The latency at the current arrival rate, when the spec was measured at several (null: `latency`). */
  private readonly byRate: RateDistribution | null;
  private readonly serviceRng: RandomStream;
  private readonly errorRng: RandomStream;
  private readonly faultRng: RandomStream;

  constructor(
    private readonly env: VirtualEnvironment,
    readonly spec: ServiceSpec,
    private readonly faults: readonly FaultSpec[],
    /** The answer of a call that did not fail (drawn when its service starts). */
    private readonly answer: () => O,
    /** The answer of a call that failed: by its base error rate, or by an "error" fault (`fault`). */
    private readonly error: (fault: boolean) => O,
    /** The arrival rate a rate-dependent latency is drawn at (orders/s). */
    private readonly rate: () => number = () => 0,
  ) {
    this.latency = distributionFromSpec(spec.latency);
    this.byRate = rateDistributionFromSpec(spec.latency);
    this.serviceRng = env.random(`service:${spec.id}`);
    this.errorRng = env.random(`errors:${spec.id}`);
    this.faultRng = env.random(`faults:${spec.id}`);
  }

  call(done: (outcome: O) => void): void {
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

  private start(done: (outcome: O) => void): void {
    const fault = this.activeFault(this.env.now());
    if (fault !== null && (fault.kind === "timeout" || fault.kind === "blackhole")) {
      // The call is swallowed: it never answers and holds no capacity.
      this.stats.faulted++;
      return;
    }
    this.busy++;
    if (fault !== null && fault.kind === "error") {
      this.stats.faulted++;
      const outcome = this.error(true);
      this.env.schedule(FAULT_ERROR_MS, () => this.finish(done, outcome));
      return;
    }
    let service =
      this.byRate === null ? this.latency.sample(this.serviceRng) : this.byRate(this.serviceRng, this.rate());
    if (fault !== null && fault.kind === "latency") service += fault.latencyMs ?? 0;
    const failed = this.spec.errorRate > 0 && this.errorRng.next() < this.spec.errorRate;
    if (failed) this.stats.errors++;
    const outcome = failed ? this.error(false) : this.answer();
    this.env.schedule(service, () => this.finish(done, outcome));
  }

  private finish(done: (outcome: O) => void, outcome: O): void {
    this.busy--;
    done(outcome);
    if (this.head < this.queue.length && this.busy < this.spec.capacity) {
      const next = this.queue[this.head]!;
      this.queue[this.head++] = undefined as unknown as (outcome: O) => void; // release the reference for GC
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

  snapshotStats(): ServiceStats {
    return { ...this.stats, busy: this.busy, queued: this.queued };
  }
}
