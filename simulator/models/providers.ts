// Simulated card-issuing providers behind one ProviderPort, each a SimService (service.ts: latency,
// capacity with a FIFO queue, base error rate, faults; its own random streams).

import type { FaultSpec, ProviderSpec } from "../../scenarios/schema.ts";
import type { IssueOutcome, IssueRequest, ProviderPort } from "../../server/core/ports.ts";
import type { VirtualEnvironment } from "../kernel/virtual-env.ts";
import { type ServiceStats, SimService } from "./service.ts";

export type ProviderStats = ServiceStats;

const PROVIDER_ERROR: IssueOutcome = { kind: "error", reason: "provider error" };
const PROVIDER_FAULT: IssueOutcome = { kind: "error", reason: "provider fault: error" };

export class SimProviders implements ProviderPort {
  private readonly byId = new Map<string, SimService<IssueOutcome>>();

  constructor(
    env: VirtualEnvironment,
    specs: readonly ProviderSpec[],
    faults: readonly FaultSpec[],
    /** The arrival rate a latency measured at several rates is drawn at (service.ts). */
    rate?: () => number,
  ) {
    for (const spec of specs) {
      // One shared outcome object per provider: the core reads it and keeps nothing of it.
      const issued: IssueOutcome = { kind: "issued", receipt: spec.id };
      this.byId.set(
        spec.id,
        new SimService<IssueOutcome>(
          env,
          spec,
          faults.filter((f) => f.provider === spec.id),
          () => issued,
          (fault) => (fault ? PROVIDER_FAULT : PROVIDER_ERROR),
          rate,
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
    p.call(done);
  }

  stats(id: string): ProviderStats | undefined {
    return this.byId.get(id)?.snapshotStats();
  }
}
