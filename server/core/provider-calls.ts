// Provider calls in one place: every call the core makes through the ProviderPort (an order's attempt,
// a cache pre-issue, a health probe) goes through here, which applies the core's own timeout (the port
// may never answer), classifies the outcome (ok, slow, error, timeout) and does the health board's
// bookkeeping: the provider's outstanding count and its window of outcomes. No other code edits them.
//
// What each kind of call books:
// - an order's call: outstanding, the health window, and a failure into the provider's open incident;
// - a cache pre-issue: outstanding and the health window (an incident's timeline lists order failures);
// - a probe: nothing here; the board judges a probe's outcome itself (probing resets the window).
//
// An order's call keeps its state on the order (CallSlot) and its deadline targets the order, so a
// call allocates no closure for its timeout; a late answer to an abandoned call is recognised by its
// token and ignored. After stop(), no timeout fires and an order's call no longer settles.
import type { DispatchConfig } from "./config.ts";
import { type Deadline, DeadlineQueue } from "./deadlines.ts";
import type { Environment } from "./env.ts";
import type { CallOutcome, HealthBoard, ProviderHealth } from "./health.ts";
import type { IncidentLog } from "./incidents.ts";
import type { IssueRequest, ProviderPort } from "./ports.ts";

export type ProviderPolicy = DispatchConfig["provider"];

/** The call in progress of one caller (an order): kept on the caller, so a call allocates nothing else. */
export interface CallSlot<Self> {
  /** Increases per call and per settlement, so a late answer to an abandoned call is ignored. */
  call: number;
  provider: ProviderHealth | null;
  callStartedAt: number;
  /** The policy the call runs under (its timeout and slow-call threshold). */
  callPolicy: ProviderPolicy | null;
  deadline: Deadline<Self> | null;
}

/** Who hears how an order's call ended; `reason` is the provider's error message (empty otherwise). */
export interface CallOwner<T extends CallSlot<T>> {
  callSettled(slot: T, outcome: CallOutcome, reason: string): void;
}

export class ProviderCalls<T extends CallSlot<T>> {
  /** Timeouts of orders' calls (target: the order), and of the core's own calls (probes, cache). */
  private readonly orderDeadlines: DeadlineQueue<T>;
  private readonly ownDeadlines: DeadlineQueue<() => void>;
  private stopped = false;

  constructor(
    private readonly env: Environment,
    private readonly port: ProviderPort,
    private readonly health: HealthBoard,
    private readonly incidents: IncidentLog,
    /** The baseline policy in force (probes and cache pre-issue run under it; it changes with applyConfig). */
    private readonly baseline: () => ProviderPolicy,
    /** A method call, not a closure: one frame less on every order's hot path. */
    private readonly owner: CallOwner<T>,
  ) {
    this.orderDeadlines = new DeadlineQueue<T>(env, (slot) => this.timedOut(slot));
    this.ownDeadlines = new DeadlineQueue<() => void>(env, (onTimeout) => onTimeout());
  }

  /** An order's call: owner.callSettled(slot, outcome, reason) follows exactly once, unless stop() comes first. */
  forOrder(slot: T, provider: ProviderHealth, request: IssueRequest, policy: ProviderPolicy): void {
    provider.outstanding++;
    const token = ++slot.call;
    slot.provider = provider;
    slot.callPolicy = policy;
    slot.callStartedAt = this.env.now();
    slot.deadline = this.orderDeadlines.add(policy.timeoutMs, slot);
    this.port.issue(request, (outcome) => {
      if (slot.call !== token || this.stopped) return;
      slot.call++;
      provider.outstanding--;
      if (slot.deadline !== null) this.orderDeadlines.cancel(slot.deadline);
      slot.deadline = null;
      if (outcome.kind === "issued") {
        const slow = this.env.now() - slot.callStartedAt >= policy.slowCallMs;
        this.book(provider.id, slow ? "slow" : "ok", "");
        this.owner.callSettled(slot, slow ? "slow" : "ok", "");
      } else {
        this.book(provider.id, "error", outcome.reason);
        this.owner.callSettled(slot, "error", outcome.reason);
      }
    });
  }

  /** The order's call outlived its timeout (a settled call has cancelled its deadline). */
  private timedOut(slot: T): void {
    slot.deadline = null;
    const provider = slot.provider!;
    slot.call++; // its answer, should it still come, is ignored
    provider.outstanding--;
    this.book(provider.id, "timeout", `timeout after ${slot.callPolicy!.timeoutMs} ms`);
    this.owner.callSettled(slot, "timeout", "");
  }

  private book(providerId: string, outcome: CallOutcome, detail: string): void {
    if (outcome === "timeout" || outcome === "error")
      this.incidents.noteFailure(providerId, this.env.now(), detail);
    this.health.record(providerId, outcome);
  }

  /** A cache pre-issue of `cardId` for the cache slot `owner`: done(issued) once. */
  forCache(
    provider: ProviderHealth,
    owner: string,
    sku: string,
    cardId: string,
    done: (issued: boolean) => void,
  ): void {
    provider.outstanding++;
    this.timed({ providerId: provider.id, orderId: owner, sku, cardId, attempt: 1 }, (outcome) => {
      provider.outstanding--;
      this.health.record(provider.id, outcome);
      done(outcome === "ok" || outcome === "slow");
    });
  }

  /** A health probe (orderId "probe:<provider>:<n>", no SKU, no card): done(outcome) once. */
  probe(providerId: string, orderId: string, done: (outcome: CallOutcome) => void): void {
    this.timed({ providerId, orderId, sku: "", cardId: "", attempt: 1 }, done);
  }

  /** A call of the core's own under the baseline policy, with its timeout. */
  private timed(request: IssueRequest, done: (outcome: CallOutcome) => void): void {
    let settled = false;
    const started = this.env.now();
    const deadline = this.ownDeadlines.add(this.baseline().timeoutMs, () => {
      if (settled) return;
      settled = true;
      done("timeout");
    });
    // After stop() an answer still settles the call (a cache slot then releases its card).
    this.port.issue(request, (outcome) => {
      if (settled) return;
      settled = true;
      this.ownDeadlines.cancel(deadline);
      if (outcome.kind === "error") done("error");
      else done(this.env.now() - started >= this.baseline().slowCallMs ? "slow" : "ok");
    });
  }

  stop(): void {
    this.stopped = true;
    this.orderDeadlines.stop();
    this.ownDeadlines.stop();
  }
}
