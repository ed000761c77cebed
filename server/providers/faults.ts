// Injected provider faults: what goes wrong, on which provider, with what probability, until when.
// Expired faults drop out lazily, so a fault with a duration needs no timer of its own.
export type FaultKindName = "timeout" | "error" | "latency" | "blackhole";

export interface Fault {
  id: string;
  /** Empty means every provider. */
  providerId: string;
  kind: FaultKindName;
  /** Share of calls affected, in (0, 1]. */
  probability: number;
  latencyMs: number;
  /** 0 means until cleared. */
  durationMs: number;
  /** Clock time the fault ends (Infinity when durationMs is 0). */
  until: number;
}

export type FaultInput = Omit<Fault, "id" | "until">;

export class FaultBook {
  private faults: Fault[] = [];
  private seq = 0;

  constructor(private readonly now: () => number) {}

  inject(input: FaultInput): Fault {
    const fault: Fault = {
      ...input,
      probability: input.probability > 0 ? Math.min(1, input.probability) : 1,
      id: `fault-${++this.seq}`,
      until: input.durationMs > 0 ? this.now() + input.durationMs : Number.POSITIVE_INFINITY,
    };
    this.faults.push(fault);
    return fault;
  }

  /** Clears the faults that target `providerId` (and those that target every provider); all when empty. */
  clear(providerId = ""): number {
    this.prune();
    const before = this.faults.length;
    this.faults =
      providerId === "" ? [] : this.faults.filter((f) => f.providerId !== providerId && f.providerId !== "");
    return before - this.faults.length;
  }

  /** Active faults that apply to `providerId` (including every-provider faults). */
  active(providerId: string): Fault[] {
    if (this.faults.length === 0) return [];
    this.prune();
    return this.faults.filter((f) => f.providerId === "" || f.providerId === providerId);
  }

  all(): Fault[] {
    this.prune();
    return [...this.faults];
  }

  private prune(): void {
    const now = this.now();
    if (this.faults.some((f) => f.until <= now)) this.faults = this.faults.filter((f) => f.until > now);
  }
}
