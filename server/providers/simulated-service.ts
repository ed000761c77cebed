// One simulated remote service on the Environment's clock: a lognormal latency, a capacity (concurrent
// calls; more wait in FIFO order), a base error rate and the faults that target it. The card-issuing
// providers (local.ts) and the farm's risk and notification services (stage-services.ts) are each one
// of these with their own answer on success.
import type { Environment, RandomStream } from "../core/env.ts";
import type { Fault } from "./faults.ts";
import { latencySampler, type ProviderModel } from "./model.ts";

/** How long a call held by a timeout fault hangs before the service gives up on it itself. */
const TIMEOUT_FAULT_HANG_MS = 10_000;

/** A call's end: served, failed (the model's errors and error faults) or timed out (a timeout fault). */
export type ServiceAnswer = { kind: "ok" } | { kind: "error" } | { kind: "timeout" };

export class SimulatedService {
  inFlight = 0;
  private readonly queue: ((answer: ServiceAnswer) => void)[] = [];
  private queueHead = 0;
  private readonly sampleLatency: () => number;

  /**
   * `latencyRandom` and `faultRandom` are the service's named streams (a provider keeps the streams it
   * always had, so adding services moves none of its draws); `faults` lists what targets it now.
   */
  constructor(
    readonly model: ProviderModel,
    private readonly env: Environment,
    private readonly faults: () => Fault[],
    latencyRandom: RandomStream,
    private readonly faultRandom: RandomStream,
  ) {
    this.sampleLatency = latencySampler(model, latencyRandom);
  }

  get queued(): number {
    return this.queue.length - this.queueHead;
  }

  /** `done` is called once, or never (a blackhole fault). */
  call(done: (answer: ServiceAnswer) => void): void {
    if (this.inFlight < this.model.capacity) this.run(done);
    else this.queue.push(done);
  }

  private run(done: (answer: ServiceAnswer) => void): void {
    this.inFlight++;
    let latency = this.sampleLatency();
    let failed = this.model.errorRate > 0 && this.faultRandom.next() < this.model.errorRate;
    for (const fault of this.faults()) {
      if (fault.probability < 1 && this.faultRandom.next() >= fault.probability) continue;
      switch (fault.kind) {
        case "blackhole":
          // Swallowed: no answer, ever. The slot frees at once (the service never saw the call).
          this.finish();
          return;
        case "timeout":
          this.env.schedule(TIMEOUT_FAULT_HANG_MS, () => {
            this.finish();
            done({ kind: "timeout" });
          });
          return;
        case "error":
          failed = true;
          latency = Math.min(latency, 1);
          break;
        case "latency":
          latency += fault.latencyMs;
          break;
      }
    }
    this.env.schedule(latency, () => {
      this.finish();
      done(failed ? { kind: "error" } : { kind: "ok" });
    });
  }

  private finish(): void {
    this.inFlight--;
    if (this.queueHead < this.queue.length && this.inFlight < this.model.capacity) {
      const next = this.queue[this.queueHead]!;
      this.queue[this.queueHead++] = undefined as unknown as (answer: ServiceAnswer) => void;
      if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
        this.queue.splice(0, this.queueHead);
        this.queueHead = 0;
      }
      this.run(next);
    }
  }
}
