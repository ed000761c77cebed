// Provider health as an explicit state machine (resilience4j CircuitBreakerStateMachine style):
// four states, a table of legal transitions, ONE transition function, a "health" event per change.
//
//   HEALTHY -> SUB_HEALTHY     failure or slow-call rate over its threshold in the sliding window
//   HEALTHY | SUB_HEALTHY -> ISOLATED   failure rate over the isolation threshold (if the isolated share allows)
//   SUB_HEALTHY -> HEALTHY     both rates back below recoverFactor x their thresholds
//   ISOLATED -> PROBING        the isolation time ran out (a core timer: an idle provider recovers too)
//   PROBING -> HEALTHY         every probe call succeeded; weight ramps up over slowStartMs (slow start)
//   PROBING -> ISOLATED        a probe failed; the next isolation is twice as long (capped)
//
// The window is the last `windowSize` calls (count based) with a minimum of `minCalls` before any
// judgement. Never more than maxIsolatedShare of providers are ISOLATED or PROBING, and never all.
//
// Services (the risk service) sit on the same board with the same states, thresholds, isolation,
// probes and events, but are not providers: the selector never sees them, and they do not count in
// the isolated share. A lone service may be isolated: its stage has a policy for "unavailable".
import type { DispatchConfig } from "./config.ts";
import type { Environment, TimerHandle } from "./env.ts";
import type { HealthState, ProviderSnapshot } from "./types.ts";

export type HealthConfig = DispatchConfig["health"];
export type CallOutcome = "ok" | "slow" | "error" | "timeout";

export const LEGAL_TRANSITIONS: Readonly<Record<HealthState, readonly HealthState[]>> = {
  HEALTHY: ["SUB_HEALTHY", "ISOLATED"],
  SUB_HEALTHY: ["HEALTHY", "ISOLATED"],
  ISOLATED: ["PROBING"],
  PROBING: ["HEALTHY", "ISOLATED"],
};

export function isLegalTransition(from: HealthState, to: HealthState): boolean {
  return LEGAL_TRANSITIONS[from].includes(to);
}

export class IllegalTransitionError extends Error {
  constructor(
    readonly from: HealthState,
    readonly to: HealthState,
  ) {
    super(`illegal health transition ${from} -> ${to}`);
  }
}

const OUTCOME_CODE: Record<CallOutcome, number> = { ok: 0, slow: 1, error: 2, timeout: 3 };

/** Per-provider health record. */
export class ProviderHealth {
  state: HealthState = "HEALTHY";
  outstanding = 0;
  isolations = 0;
  /** When the provider last became HEALTHY (slow start and the repeat-count reset count from here). */
  healthySince = Number.NEGATIVE_INFINITY;
  readmittedAt = Number.NEGATIVE_INFINITY;
  probesLeft = 0;
  timer: TimerHandle | null = null;
  private readonly window: Uint8Array;
  private cursor = 0;
  calls = 0;
  timeouts = 0;
  errors = 0;
  slows = 0;

  constructor(
    readonly id: string,
    windowSize: number,
  ) {
    this.window = new Uint8Array(windowSize);
  }

  record(outcome: CallOutcome): void {
    const code = OUTCOME_CODE[outcome];
    if (this.calls === this.window.length) this.count(this.window[this.cursor]!, -1);
    else this.calls++;
    this.window[this.cursor] = code;
    this.count(code, 1);
    this.cursor = (this.cursor + 1) % this.window.length;
  }

  private count(code: number, delta: number): void {
    if (code === 1) this.slows += delta;
    else if (code === 2) this.errors += delta;
    else if (code === 3) this.timeouts += delta;
  }

  resetWindow(): void {
    this.calls = 0;
    this.cursor = 0;
    this.timeouts = 0;
    this.errors = 0;
    this.slows = 0;
  }

  get failureRate(): number {
    return this.calls === 0 ? 0 : (this.timeouts + this.errors) / this.calls;
  }

  get slowRate(): number {
    return this.calls === 0 ? 0 : this.slows / this.calls;
  }
}

export interface HealthEvent {
  providerId: string;
  from: HealthState;
  to: HealthState;
  reason: string;
  at: number;
}

/**
 * The ONE transition function: checks legality, applies the state and its entry actions' bookkeeping,
 * and returns the event. Throws IllegalTransitionError on an illegal change.
 */
export function transition(p: ProviderHealth, to: HealthState, reason: string, at: number): HealthEvent {
  const from = p.state;
  if (!isLegalTransition(from, to)) throw new IllegalTransitionError(from, to);
  p.state = to;
  if (to === "ISOLATED") p.isolations++;
  if (to === "HEALTHY") {
    p.healthySince = at;
    if (from === "PROBING") p.readmittedAt = at;
  }
  if (to === "ISOLATED" || from === "PROBING") p.resetWindow();
  return { providerId: p.id, from, to, reason, at };
}

/** How the board reaches a provider for a probe call (the dispatcher makes the call, with its timeout). */
export type ProbeFn = (providerId: string, done: (outcome: CallOutcome) => void) => void;

/** The health of every provider of one dispatcher, with its isolation and probe timers. */
export class HealthBoard {
  readonly providers: ProviderHealth[];
  /** Services tracked besides providers (see the top of this file). */
  readonly services: ProviderHealth[];
  private readonly serviceIds: ReadonlySet<string>;
  private readonly byId = new Map<string, ProviderHealth>();
  private stopped = false;
  /** Counts changes that can change a weight (transitions, configuration), so weights can be cached. */
  version = 0;

  constructor(
    ids: string[],
    private config: HealthConfig,
    private readonly env: Environment,
    private readonly probe: ProbeFn,
    private readonly emit: (event: HealthEvent) => void,
    services: readonly string[] = [],
  ) {
    this.providers = ids.map((id) => new ProviderHealth(id, config.windowSize));
    this.services = services.map((id) => new ProviderHealth(id, config.windowSize));
    this.serviceIds = new Set(services);
    for (const p of this.providers) this.byId.set(p.id, p);
    for (const p of this.services) this.byId.set(p.id, p);
  }

  get(id: string): ProviderHealth | undefined {
    return this.byId.get(id);
  }

  setConfig(config: HealthConfig): void {
    const resized = config.windowSize !== this.config.windowSize;
    this.config = config;
    this.version++;
    if (resized) {
      for (const list of [this.providers, this.services]) this.resize(list, config.windowSize);
    }
  }

  /** Replaces each record of `list` by one with a window of `windowSize` (the window restarts empty). */
  private resize(list: ProviderHealth[], windowSize: number): void {
    for (let i = 0; i < list.length; i++) {
      const old = list[i]!;
      const p = new ProviderHealth(old.id, windowSize);
      Object.assign(p, {
        state: old.state,
        outstanding: old.outstanding,
        isolations: old.isolations,
        healthySince: old.healthySince,
        readmittedAt: old.readmittedAt,
        probesLeft: old.probesLeft,
        timer: old.timer,
      });
      list[i] = p;
      this.byId.set(p.id, p);
    }
  }

  /** Whether weight(p, now) still changes with time (a readmitted provider in its slow start). */
  ramping(p: ProviderHealth, now: number): boolean {
    return this.config.enabled && p.state === "HEALTHY" && now - p.readmittedAt < this.config.slowStartMs;
  }

  /** Traffic weight: 0 for ISOLATED/PROBING, subHealthyWeight for SUB_HEALTHY, 1 (ramping after readmission). */
  weight(p: ProviderHealth, now: number): number {
    if (!this.config.enabled) return 1;
    switch (p.state) {
      case "ISOLATED":
      case "PROBING":
        return 0;
      case "SUB_HEALTHY":
        return this.config.subHealthyWeight;
      case "HEALTHY": {
        const since = now - p.readmittedAt;
        if (since >= this.config.slowStartMs) return 1;
        return 0.1 + 0.9 * (since / this.config.slowStartMs);
      }
    }
  }

  /** ISOLATED or PROBING providers right now. */
  get outOfService(): number {
    let n = 0;
    for (const p of this.providers) if (p.state === "ISOLATED" || p.state === "PROBING") n++;
    return n;
  }

  /** Whether one more provider may be taken out of service. */
  canIsolateAnother(): boolean {
    const n = this.providers.length;
    const out = this.outOfService;
    return out + 1 < n && out + 1 <= Math.floor(n * this.config.maxIsolatedShare);
  }

  /** Records a real call's outcome and applies any transition it causes. */
  record(providerId: string, outcome: CallOutcome): void {
    const p = this.byId.get(providerId);
    if (p === undefined) return;
    if (p.state === "ISOLATED" || p.state === "PROBING") return; // late answers of calls made before isolation
    p.record(outcome);
    if (!this.config.enabled || this.stopped || p.calls < this.config.minCalls) return;
    const c = this.config;
    const failure = p.failureRate;
    const slow = p.slowRate;
    if (failure >= c.isolateFailureRate && (this.serviceIds.has(p.id) || this.canIsolateAnother())) {
      this.isolate(p, `failure rate ${pct(failure)} >= ${pct(c.isolateFailureRate)} over ${p.calls} calls`);
      return;
    }
    if (p.state === "HEALTHY" && (failure >= c.subHealthyFailureRate || slow >= c.subHealthySlowRate)) {
      this.apply(
        p,
        "SUB_HEALTHY",
        `failure rate ${pct(failure)}, slow-call rate ${pct(slow)} over ${p.calls} calls`,
      );
      return;
    }
    if (
      p.state === "SUB_HEALTHY" &&
      failure < c.subHealthyFailureRate * c.recoverFactor &&
      slow < c.subHealthySlowRate * c.recoverFactor
    ) {
      this.apply(p, "HEALTHY", `failure rate ${pct(failure)}, slow-call rate ${pct(slow)} recovered`);
    }
  }

  private apply(p: ProviderHealth, to: HealthState, reason: string): void {
    const event = transition(p, to, reason, this.env.now());
    this.version++;
    this.emit(event);
  }

  /** Isolation length for the coming isolation (p.isolations already counts it). */
  isolationMs(isolations: number): number {
    return Math.min(
      this.config.isolationMaxMs,
      this.config.isolationBaseMs * 2 ** Math.max(0, isolations - 1),
    );
  }

  private isolate(p: ProviderHealth, reason: string): void {
    const now = this.env.now();
    if (p.state !== "PROBING" && now - p.healthySince >= this.config.isolationResetMs && p.healthySince > 0)
      p.isolations = 0;
    this.apply(p, "ISOLATED", reason);
    const length = this.isolationMs(p.isolations);
    p.timer = this.env.schedule(length, () => {
      p.timer = null;
      if (this.stopped) return;
      this.apply(p, "PROBING", `isolation of ${length} ms ended`);
      p.probesLeft = this.config.probeCalls;
      this.sendProbe(p);
    });
  }

  private sendProbe(p: ProviderHealth): void {
    this.probe(p.id, (outcome) => {
      if (this.stopped || p.state !== "PROBING") return;
      if (outcome === "error" || outcome === "timeout") {
        this.isolate(p, `probe failed (${outcome})`);
        return;
      }
      p.probesLeft--;
      if (p.probesLeft <= 0) {
        this.apply(p, "HEALTHY", `${this.config.probeCalls} probe calls succeeded; slow start`);
        return;
      }
      p.timer = this.env.schedule(this.config.probeIntervalMs, () => {
        p.timer = null;
        if (!this.stopped && p.state === "PROBING") this.sendProbe(p);
      });
    });
  }

  /** Providers, then services. */
  snapshot(now: number): ProviderSnapshot[] {
    return [...this.providers, ...this.services].map((p) => ({
      providerId: p.id,
      state: p.state,
      weight: this.weight(p, now),
      outstanding: p.outstanding,
      windowCalls: p.calls,
      timeoutRate: p.calls === 0 ? 0 : p.timeouts / p.calls,
      errorRate: p.calls === 0 ? 0 : p.errors / p.calls,
      slowRate: p.slowRate,
      isolations: p.isolations,
    }));
  }

  stop(): void {
    this.stopped = true;
    for (const p of [...this.providers, ...this.services]) {
      if (p.timer !== null) this.env.cancel(p.timer);
      p.timer = null;
    }
  }
}

function pct(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}
