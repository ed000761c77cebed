// The dispatcher: one cluster's order pipeline, wiring lanes, routing, provider health, the
// compensation queue, prewarming, hot-SKU detection, the canary and incidents. Sans-I/O: time,
// timers and randomness come from the Environment; the store and providers are callback ports.
//
// An order's life (lifecycle.ts holds the table; every change goes through its transition()):
// QUEUED(lane) -> ALLOCATING (worker slot taken: cache, stock check, claim, risk check) -> ISSUING(provider,
// with the core's timeout) -> DELIVERED (then the delivery notification); a failed attempt frees the slot
// and goes to RETRYING (backoff, budget) -> QUEUED again, or FAILED (card released) after the last
// attempt. Overflowed orders are forwarded to the backup cluster and mirror its terminal view.
//
// The two optional stages (absent ports: skipped):
// - risk: once per order, after the card is held and before it is issued (or a cached card delivered).
//   Allow goes on; deny ends DENIED (card released); review ends REVIEW (card kept for a person). When
//   the service cannot answer (error, the core's risk timeout, or isolated on the health board, where
//   it is tracked like a provider), config.risk.unavailable decides: retry the attempt, fail closed,
//   fail open under an amount limit, or hold for review.
// - notification: "inline" sends it in the worker after delivery and the order waits for it (one try;
//   a failure does not undo the delivery); "outbox" finishes the order first and hands the
//   notification to outbox.ts.
//
// An order has at most one port operation outstanding (a store call or a provider call), and its
// callback finds the order in the state it left it in: a terminal order has nothing outstanding, a
// late provider answer is dropped by its call's token (provider-calls.ts). Only stop() leaves
// operations outstanding; a stopped dispatcher drops their answers (`this.stopped`), leaving the orders
// as the ledger last saw them, for recover() after a restart.
import { CanaryController, type CanaryVerdict } from "./canary.ts";
import { backoffDelay, RetryBudget } from "./compensation.ts";
import {
  type DispatchConfig,
  mergeConfig,
  type OrderPolicy,
  validateCanaryCandidate,
  validateConfig,
} from "./config.ts";
import type { Deadline } from "./deadlines.ts";
import { DeadlineQueue } from "./deadlines.ts";
import type { Environment, RandomStream, TimerHandle } from "./env.ts";
import { type CallOutcome, HealthBoard, type HealthEvent, type ProviderHealth } from "./health.ts";
import { HotSkuTracker } from "./hotspot.ts";
import { IncidentLog } from "./incidents.ts";
import { type LaneName, Lanes } from "./lanes.ts";
import { acceptedView, transition } from "./lifecycle.ts";
import { NotifyOutbox } from "./outbox.ts";
import type {
  Card,
  CardStorePort,
  NotifyPort,
  OverflowPort,
  ProviderPort,
  RiskOutcome,
  RiskPort,
} from "./ports.ts";
import { Prewarmer } from "./prewarm.ts";
import { type CallOwner, type CallSlot, ProviderCalls, type ProviderPolicy } from "./provider-calls.ts";
import { OverflowRouter } from "./router.ts";
import { ProviderSelector } from "./selector.ts";
import type {
  ClusterName,
  CoreCounters,
  CoreEvent,
  CoreSnapshot,
  FieldViolation,
  LaneSnapshot,
  OrderInput,
  OrderState,
  OrderView,
  Tier,
} from "./types.ts";

export interface DispatcherOptions {
  env: Environment;
  config: DispatchConfig;
  store: CardStorePort;
  providers: { ids: string[]; port: ProviderPort };
  /** The backup cluster; absent => no overflow possible. */
  overflow?: OverflowPort;
  /** The risk service (checked after the stock check); absent => no risk stage. */
  risk?: { id: string; port: RiskPort };
  /** The delivery-notification service; absent => no notification stage. */
  notify?: { id: string; port: NotifyPort };
  /** "primary" (default) or "backup" (a backup never overflows further). */
  cluster?: ClusterName;
  /**
   * Pass onChange (and return from submit and recover) the order's own view instead of a copy at
   * each state change. The object then keeps changing after the call until the order ends (a
   * terminal view never changes again), so only a listener that reads and forgets may ask for it:
   * the simulator does, and saves two objects per state change (a fifth of the core's time went to
   * copying views and collecting the copies).
   */
  liveViews?: boolean;
}

export interface Dispatcher {
  /** Accepts (or rejects) an order; onChange is called on EVERY state change, last with a terminal view. Returns the first view (QUEUED or REJECTED). */
  submit(order: OrderInput, onChange?: (view: OrderView) => void): OrderView;
  /** Puts a recovered non-terminal order (after a restart) into the compensation queue (attempts and cardId kept). */
  recover(order: OrderInput, onChange?: (view: OrderView) => void): OrderView;
  /** Orders still in flight (terminal ones are forgotten: memory stays flat). */
  get(orderId: string): OrderView | undefined;
  snapshot(): CoreSnapshot;
  onEvent(listener: (event: CoreEvent) => void): () => void;
  getConfig(): DispatchConfig;
  applyConfig(input: unknown): { ok: true; config: DispatchConfig } | { ok: false; errors: FieldViolation[] };
  startCanary(
    candidate: unknown,
    share?: number,
  ): { ok: true; id: string } | { ok: false; errors: FieldViolation[] };
  canaryVerdict(): CanaryVerdict;
  stopCanary(): string | null;
  /** Feeds demand history (orders per minute, oldest first, ending now) to the forecaster. */
  loadDemandHistory(perMinute: number[]): void;
  /** Cancels every timer; the dispatcher accepts nothing afterwards. */
  stop(): void;
}

interface Job extends CallSlot<Job> {
  input: OrderInput;
  view: OrderView;
  onChange: ((view: OrderView) => void) | undefined;
  /** The order policy this order runs (the baseline's, or the canary candidate's). */
  policy: OrderPolicy;
  lane: LaneName;
  slot: LaneName | null;
  stageAt: number;
  /** Backoff timer of a retry, or of a recovered order's first attempt. */
  timer: TimerHandle | null;
  /** Timeout of the provider call in progress (provider-calls.ts). */
  deadline: Deadline<Job> | null;
  card: Card | null;
  /** A card id the order held before a restart, as the ledger knew it (recover()). */
  recoveredCardId: string | null;
  /**
   * Came back through recover(). Such an order may hold a card the ledger never saw (the claim commits
   * before the ledger's copy of it), so it neither takes a cached card nor checks stock: claim() returns
   * the card it holds, or a new one, or out of stock, and nothing else can leave its card stranded.
   */
  recovered: boolean;
  /** Increases per provider call so a late answer to an abandoned call is ignored. */
  call: number;
  provider: ProviderHealth | null;
  callStartedAt: number;
  callPolicy: ProviderPolicy | null;
  holdsRetryToken: boolean;
  maxAttempts: number;
  /** The provider (or the risk service) of the last failed attempt (incidents count retries per provider). */
  failedOn: string | null;
  /** The risk service allowed the order (or its fail-open policy did): a retry does not ask again. */
  riskCleared: boolean;
  /** A risk check or an inline notification in progress (its deadline is stageDeadline). */
  stage: "risk" | "notify" | null;
  stageStartedAt: number;
  stageDeadline: Deadline<Job> | null;
}

/** A snapshot of a view for a listener (a literal with every field: cheaper than a spread on the hot path). */
function copyView(v: OrderView): OrderView {
  const t = v.timings;
  return {
    orderId: v.orderId,
    sku: v.sku,
    tier: v.tier,
    state: v.state,
    lane: v.lane,
    cluster: v.cluster,
    providerId: v.providerId,
    attempts: v.attempts,
    cardId: v.cardId,
    cardCode: v.cardCode,
    submittedAt: v.submittedAt,
    finishedAt: v.finishedAt,
    timings: {
      queuedMs: t.queuedMs,
      allocatingMs: t.allocatingMs,
      issuingMs: t.issuingMs,
      retryingMs: t.retryingMs,
      totalMs: t.totalMs,
      riskMs: t.riskMs ?? 0,
      notifyMs: t.notifyMs ?? 0,
    },
    rejectReason: v.rejectReason,
    failureReason: v.failureReason,
    fromCache: v.fromCache,
    canary: v.canary,
  };
}

export function createDispatcher(options: DispatcherOptions): Dispatcher {
  return new CoreDispatcher(options);
}

class CoreDispatcher implements Dispatcher, CallOwner<Job> {
  private readonly env: Environment;
  private config: DispatchConfig;
  private readonly store: CardStorePort;
  private readonly port: ProviderPort;
  private readonly overflow: OverflowPort | undefined;
  private readonly risk: { id: string; port: RiskPort } | undefined;
  private readonly notifier: NotifyPort | undefined;
  private readonly outbox: NotifyOutbox | undefined;
  /** Timeouts of risk checks and inline notifications (target: the order; job.stage says which). */
  private readonly stageDeadlines: DeadlineQueue<Job>;
  private readonly liveViews: boolean;
  private readonly cluster: ClusterName;
  private readonly lanes: Lanes<Job>;
  private readonly router: OverflowRouter;
  private readonly health: HealthBoard;
  private readonly selector: ProviderSelector;
  private readonly budget: RetryBudget;
  private readonly jitter: RandomStream;
  private readonly calls: ProviderCalls<Job>;
  private readonly hot: HotSkuTracker;
  private readonly prewarm: Prewarmer;
  private readonly canary: CanaryController;
  private readonly incidents: IncidentLog;
  private readonly jobs = new Map<string, Job>();
  /**
   * card id -> order id for cards held by in-flight orders: a claim returning one of them to another
   * order is a duplicate card (the store's audit covers delivered cards across time and instances).
   */
  private readonly cardHolders = new Map<string, string>();
  private readonly listeners = new Set<(event: CoreEvent) => void>();
  private readonly counters: CoreCounters;
  /** Views of orders forwarded to the backup cluster and not finished yet. */
  private readonly forwarded = new Map<string, OrderView>();
  private tickHandle: TimerHandle | null = null;
  private lastActivity = 0;
  private pumping = false;
  private pumpAgain = false;
  private stopped = false;
  private probeSeq = 0;

  constructor(options: DispatcherOptions) {
    this.env = options.env;
    this.config = options.config;
    this.store = options.store;
    this.port = options.providers.port;
    this.overflow = options.overflow;
    this.risk = options.risk;
    if (this.risk !== undefined && options.providers.ids.includes(this.risk.id))
      throw new Error(`risk service id "${this.risk.id}" is also a provider id`);
    this.notifier = options.notify?.port;
    this.stageDeadlines = new DeadlineQueue<Job>(this.env, (job) => this.stageTimedOut(job));
    this.outbox =
      this.notifier === undefined
        ? undefined
        : new NotifyOutbox(
            this.env,
            this.notifier,
            () => this.config.notify,
            this.env.random("notify-jitter"),
          );
    this.liveViews = options.liveViews ?? false;
    this.cluster = options.cluster ?? "primary";
    this.lanes = new Lanes<Job>(this.config.lanes);
    this.router = new OverflowRouter(this.config.routing);
    const services = this.risk === undefined ? [] : [this.risk.id];
    this.incidents = new IncidentLog(
      (incident) => this.emit({ kind: "incident", at: this.env.now(), incident }),
      100,
      new Set(services),
    );
    this.health = new HealthBoard(
      options.providers.ids,
      this.config.health,
      this.env,
      (id, done) =>
        id === this.risk?.id
          ? this.riskProbe(done)
          : this.calls.probe(id, `probe:${id}:${++this.probeSeq}`, done),
      (event) => this.onHealth(event),
      services,
    );
    this.selector = new ProviderSelector(this.health, this.env.random("provider-choice"));
    this.budget = new RetryBudget(this.config.retry);
    this.jitter = this.env.random("retry-jitter");
    this.calls = new ProviderCalls<Job>(
      this.env,
      this.port,
      this.health,
      this.incidents,
      () => this.config.provider,
      this,
    );
    this.hot = new HotSkuTracker(this.config.hotSku, (sku, share) =>
      this.emit({ kind: "hot-sku", at: this.env.now(), sku, share }),
    );
    this.prewarm = new Prewarmer(this.config, {
      env: this.env,
      store: this.store,
      issue: (request, done) => this.cacheIssue(request.orderId, request.sku, request.cardId, done),
    });
    this.canary = new CanaryController(this.env.random("canary"));
    this.counters = {
      accepted: 0,
      delivered: 0,
      failed: 0,
      rejected: 0,
      retries: 0,
      providerCalls: 0,
      retryAmplification: 0,
      cacheHits: 0,
      duplicateCards: 0,
      routeSwitches: 0,
      timeouts: 0,
      budgetExhausted: 0,
      overflowed: 0,
      riskChecks: 0,
      denied: 0,
      review: 0,
      riskUnavailable: 0,
      riskFailOpen: 0,
      notifySent: 0,
      notifyFailed: 0,
      notifyDropped: 0,
    };
  }

  // ---- public API ----

  submit(order: OrderInput, onChange?: (view: OrderView) => void): OrderView {
    const now = this.env.now();
    const view = acceptedView(order, now);
    const invalid = this.invalidReason(order);
    if (invalid !== null) return this.reject(view, invalid, onChange);
    this.lastActivity = now;
    this.ensureTick();
    this.hot.record(order.sku, now);
    this.prewarm.countOrder(now);

    if (this.sendsToBackup(order.tier)) return this.forward(order, view, onChange);

    const canary = this.canary.assign(order.orderId);
    const job = this.newJob(order, view, onChange, canary ? this.canary.candidate! : this.config);
    view.canary = canary;
    if (!this.lanes.hasRoom(job.lane) && !this.canStartNow(job.lane)) {
      return this.reject(
        view,
        `queue full: lane ${job.lane} holds ${this.lanes.depth(job.lane)} of ${this.lanes.capacity(job.lane)}`,
        onChange,
      );
    }
    this.counters.accepted++;
    this.budget.recordAccepted(now);
    this.jobs.set(order.orderId, job);
    job.stageAt = transition(view, "QUEUED", job.stageAt, now);
    const first = this.liveViews ? view : copyView(view);
    if (onChange) onChange(first);
    this.lanes.enqueue(job.lane, job);
    this.pump();
    return first;
  }

  recover(order: OrderInput, onChange?: (view: OrderView) => void): OrderView {
    const now = this.env.now();
    const view = acceptedView(order, now);
    const invalid = this.invalidReason(order);
    if (invalid !== null) return this.reject(view, invalid, onChange);
    this.lastActivity = now;
    this.ensureTick();
    const job = this.newJob(order, view, onChange, this.config);
    job.stageAt = transition(view, "RETRYING", job.stageAt, now);
    job.recoveredCardId = order.cardId ?? null;
    job.recovered = true;
    view.cardId = order.cardId ?? null;
    view.attempts = order.attempts ?? 0;
    // A recovered order always gets at least one more attempt: the crash, not the order, failed.
    job.maxAttempts = Math.max(job.policy.retry.maxAttempts, view.attempts + 1);
    this.counters.accepted++;
    this.jobs.set(order.orderId, job);
    this.budget.forceAcquire();
    job.holdsRetryToken = true;
    const first = this.liveViews ? view : copyView(view);
    if (onChange) onChange(first);
    const delay = view.attempts > 0 ? backoffDelay(job.policy.retry, view.attempts, this.jitter) : 0;
    job.timer = this.env.schedule(delay, () => {
      job.timer = null;
      this.requeue(job);
    });
    return first;
  }

  get(orderId: string): OrderView | undefined {
    const job = this.jobs.get(orderId);
    if (job !== undefined) return copyView(job.view);
    const forwarded = this.forwarded.get(orderId);
    return forwarded === undefined ? undefined : copyView(forwarded);
  }

  snapshot(): CoreSnapshot {
    const now = this.env.now();
    const lanes: LaneSnapshot[] = [];
    if (this.config.lanes.vip.enabled) {
      lanes.push({
        lane: "vip",
        cluster: this.cluster,
        queueDepth: this.lanes.depth("vip"),
        inFlight: this.lanes.vipBusy,
        workers: this.lanes.vipWorkers,
        queueCapacity: this.config.lanes.vip.queueCapacity,
      });
    }
    lanes.push({
      lane: "default",
      cluster: this.cluster,
      queueDepth: this.lanes.depth("default"),
      inFlight: this.lanes.defaultBusy,
      workers: this.lanes.defaultWorkers,
      queueCapacity: this.config.lanes.default.queueCapacity,
    });
    if (this.hasBackup()) {
      lanes.push({
        lane: "overflow",
        cluster: "backup",
        queueDepth: 0,
        inFlight: this.forwarded.size,
        workers: 0,
        queueCapacity: 0,
      });
    }
    const attempts = this.counters.providerCalls;
    const firsts = attempts - this.counters.retries;
    return {
      at: now,
      lanes,
      providers: this.health.snapshot(now),
      clusters: [{ cluster: this.cluster, load: this.router.load, overflowActive: this.router.active }],
      counters: {
        ...this.counters,
        retryAmplification: firsts > 0 ? attempts / firsts : 0,
        notifySent: this.counters.notifySent + (this.outbox?.counters.sent ?? 0),
        notifyFailed: this.counters.notifyFailed + (this.outbox?.counters.failed ?? 0),
        notifyDropped: this.outbox?.counters.dropped ?? 0,
      },
      hotSkus: this.hot.hotList(now).map((h) => ({ ...h, preloaded: this.prewarm.isPreloaded(h.sku) })),
      prewarm: this.prewarm.snapshot(),
    };
  }

  onEvent(listener: (event: CoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  getConfig(): DispatchConfig {
    return mergeConfig(this.config, undefined) as DispatchConfig;
  }

  applyConfig(
    input: unknown,
  ): { ok: true; config: DispatchConfig } | { ok: false; errors: FieldViolation[] } {
    const result = validateConfig(mergeConfig(this.config, input));
    if (!result.ok) return result;
    this.config = result.config;
    this.lanes.setConfig(this.config.lanes);
    this.router.setConfig(this.config.routing);
    this.health.setConfig(this.config.health);
    this.budget.setConfig(this.config.retry);
    this.hot.setConfig(this.config.hotSku);
    this.prewarm.setConfig(this.config);
    this.pump();
    return { ok: true, config: this.getConfig() };
  }

  startCanary(
    candidate: unknown,
    share?: number,
  ): { ok: true; id: string } | { ok: false; errors: FieldViolation[] } {
    const effectiveShare = share === undefined || share === 0 ? this.config.canary.share : share;
    const errors: FieldViolation[] = [];
    if (!(Number.isFinite(effectiveShare) && effectiveShare > 0 && effectiveShare <= 0.5))
      errors.push({ path: "share", message: "must be in (0, 0.5]" });
    const result = validateCanaryCandidate(this.config, candidate);
    if (!result.ok) errors.push(...result.errors);
    if (errors.length > 0 || !result.ok) return { ok: false, errors };
    const id = this.canary.start(
      result.policy,
      effectiveShare,
      this.config.canary.maxSamples,
      this.env.now(),
    );
    return { ok: true, id };
  }

  canaryVerdict(): CanaryVerdict {
    return this.canary.verdict(this.config.canary, this.env.random("canary-bootstrap"));
  }

  stopCanary(): string | null {
    return this.canary.stop();
  }

  loadDemandHistory(perMinute: number[]): void {
    this.prewarm.loadHistory(perMinute, this.env.now());
    this.lastActivity = this.env.now();
    this.ensureTick();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.tickHandle !== null) this.env.cancel(this.tickHandle);
    this.tickHandle = null;
    this.health.stop();
    this.prewarm.stop();
    this.calls.stop();
    this.stageDeadlines.stop();
    this.outbox?.stop();
    for (const job of this.jobs.values()) {
      if (job.timer !== null) this.env.cancel(job.timer);
      job.timer = null;
    }
    this.lanes.drain();
  }

  // ---- admission ----

  private invalidReason(order: OrderInput): string | null {
    if (this.stopped) return "dispatcher stopped";
    if (typeof order !== "object" || order === null) return "invalid order";
    if (typeof order.orderId !== "string" || order.orderId === "") return "invalid orderId: empty";
    if (typeof order.sku !== "string" || order.sku === "") return "invalid sku: empty";
    if (order.tier !== "vip" && order.tier !== "standard") return `invalid tier: ${String(order.tier)}`;
    if (
      order.amountCents !== undefined &&
      !(Number.isSafeInteger(order.amountCents) && order.amountCents >= 0)
    )
      return `invalid amountCents: ${String(order.amountCents)} (a whole number of cents, 0 or more)`;
    if (this.jobs.has(order.orderId) || this.forwarded.has(order.orderId))
      return `duplicate orderId: ${order.orderId} is in flight`;
    return null;
  }

  /** Rejects a new order at admission (so at its submit time). */
  private reject(view: OrderView, reason: string, onChange?: (view: OrderView) => void): OrderView {
    transition(view, "REJECTED", view.submittedAt, view.submittedAt);
    view.rejectReason = reason;
    this.counters.rejected++;
    const out = copyView(view);
    if (onChange) onChange(copyView(view));
    return out;
  }

  private newJob(
    order: OrderInput,
    view: OrderView,
    onChange: ((view: OrderView) => void) | undefined,
    policy: OrderPolicy,
  ): Job {
    const lane = this.lanes.laneFor(view.tier);
    view.lane = lane;
    view.cluster = this.cluster;
    return {
      input: order,
      view,
      onChange,
      policy,
      lane,
      slot: null,
      stageAt: view.submittedAt,
      timer: null,
      deadline: null,
      card: null,
      recoveredCardId: null,
      recovered: false,
      call: 0,
      provider: null,
      callStartedAt: 0,
      callPolicy: null,
      holdsRetryToken: false,
      maxAttempts: policy.retry.maxAttempts,
      failedOn: null,
      riskCleared: false,
      stage: null,
      stageStartedAt: 0,
      stageDeadline: null,
    };
  }

  /** Whether a slot could take an order of this lane right now (a full queue of 0 still admits then). */
  private canStartNow(lane: LaneName): boolean {
    if (this.lanes.depth("vip") + this.lanes.depth("default") > 0) return false;
    if (lane === "vip")
      return this.lanes.vipBusy < this.lanes.vipWorkers || this.lanes.defaultBusy < this.lanes.defaultWorkers;
    return this.lanes.defaultBusy < this.lanes.defaultWorkers;
  }

  private forward(order: OrderInput, view: OrderView, onChange?: (view: OrderView) => void): OrderView {
    transition(view, "QUEUED", view.submittedAt, view.submittedAt);
    view.lane = "overflow";
    view.cluster = "backup";
    this.counters.accepted++;
    this.counters.overflowed++;
    this.forwarded.set(order.orderId, view);
    this.budget.recordAccepted(view.submittedAt);
    const first = this.liveViews ? view : copyView(view);
    if (onChange) onChange(first);
    const overflow = this.overflow!;
    const forwarded: OrderInput = { orderId: order.orderId, sku: order.sku, tier: order.tier };
    if (order.amountCents !== undefined) forwarded.amountCents = order.amountCents;
    overflow.forward(forwarded, (remote) => {
      this.forwarded.delete(order.orderId);
      if (this.stopped) return;
      const now = this.env.now();
      // The backup's stage times replace the primary's (queued here = the whole time at the backup).
      transition(view, remote.state, view.submittedAt, now);
      view.providerId = remote.providerId;
      view.attempts = remote.attempts;
      view.cardId = remote.cardId;
      view.cardCode = remote.cardCode;
      view.rejectReason = remote.rejectReason;
      view.failureReason = remote.failureReason;
      view.fromCache = remote.fromCache;
      view.timings = { ...remote.timings, totalMs: now - view.submittedAt };
      if (remote.state === "DELIVERED") this.counters.delivered++;
      else if (remote.state === "FAILED") this.counters.failed++;
      else if (remote.state === "DENIED") this.counters.denied++;
      else if (remote.state === "REVIEW") this.counters.review++;
      else this.counters.rejected++;
      if (onChange) onChange(copyView(view));
    });
    return first;
  }

  // ---- the worker pipeline ----

  /** Moves an in-flight order through the lifecycle's transition() and tells its listener. */
  private move(job: Job, to: OrderState): void {
    job.stageAt = transition(job.view, to, job.stageAt, this.env.now());
    if (job.onChange) job.onChange(this.liveViews ? job.view : copyView(job.view));
  }

  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        for (let next = this.lanes.next(); next !== undefined; next = this.lanes.next()) {
          next.item.slot = next.slot;
          this.startAttempt(next.item);
        }
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
  }

  private requeue(job: Job): void {
    this.move(job, "QUEUED");
    this.lanes.enqueue(job.lane, job);
    this.pump();
  }

  private startAttempt(job: Job): void {
    job.view.attempts++;
    this.move(job, "ALLOCATING");
    if (job.card !== null) {
      // The order holds its card: on to the risk check (if not passed yet), then issue or deliver.
      this.proceed(job);
      return;
    }
    const cached = job.recovered ? undefined : this.prewarm.take(job.view.sku);
    if (cached !== undefined) {
      this.store.transfer(cached.card.cardId, cached.owner, job.view.orderId, (result) => {
        if (this.stopped) return;
        if (result.kind === "ok") {
          job.view.fromCache = true;
          this.counters.cacheHits++;
          this.takeCard(job, cached.card);
          this.proceed(job);
        } else {
          // The slot lost its card somehow: give it back to the pool and claim normally.
          this.store.release(cached.owner, cached.card.cardId, () => {});
          this.claim(job);
        }
      });
      return;
    }
    // An order that already holds a card (a retry, a recovered order) needs no stock: claim returns its card.
    if (!job.policy.allocation.stockCheck || job.recovered || job.card !== null) {
      this.claim(job);
      return;
    }
    // A preloaded hot SKU with stock in memory skips the store round trip; a count of 0 may be stale
    // (cards imported since the last refresh), so it asks the store like any other SKU.
    const preloaded = this.prewarm.preloadedStock(job.view.sku);
    if (preloaded !== undefined && preloaded > 0) {
      this.claim(job);
      return;
    }
    this.store.stock(job.view.sku, (result) => {
      if (this.stopped) return;
      if (result.kind === "ok" && result.free <= 0) this.fail(job, "out of stock", true);
      else this.claim(job);
    });
  }

  private claim(job: Job): void {
    this.store.claim(job.view.orderId, job.view.sku, (result) => {
      if (this.stopped) return;
      if (result.kind === "claimed") {
        if (job.recoveredCardId !== null && result.card.cardId !== job.recoveredCardId)
          this.counters.duplicateCards++;
        this.takeCard(job, result.card);
        if (result.delivered) {
          // Delivered before a crash the ledger did not see: finish it, never issue the card twice.
          job.view.cardCode = result.card.code;
          this.delivered(job);
          return;
        }
        this.prewarm.noteClaimed(job.view.sku);
        this.proceed(job);
      } else if (result.kind === "out_of_stock") {
        this.fail(job, "out of stock", true);
      } else {
        this.failAttempt(job, `store: ${result.message}`);
      }
    });
  }

  private takeCard(job: Job, card: Card): void {
    const holder = this.cardHolders.get(card.cardId);
    if (holder !== undefined && holder !== job.view.orderId) this.counters.duplicateCards++;
    this.cardHolders.set(card.cardId, job.view.orderId);
    job.card = card;
    job.view.cardId = card.cardId;
  }

  /**
   * The order holds its card: the risk check (once per order, when there is a risk service), then the
   * provider call, or the delivery of a card from the cache (issued already; only its delivery is retried).
   */
  private proceed(job: Job): void {
    if (this.risk !== undefined && !job.riskCleared) this.checkRisk(job, this.risk);
    else if (job.view.fromCache) this.deliver(job);
    else this.issue(job);
  }

  // ---- the risk stage ----

  private checkRisk(job: Job, risk: { id: string; port: RiskPort }): void {
    const service = this.health.get(risk.id)!;
    if (service.state === "ISOLATED" || service.state === "PROBING") {
      this.incidents.noteDiverted(risk.id);
      this.riskUnavailable(job, `risk service ${risk.id} is ${service.state.toLowerCase()}`);
      return;
    }
    service.outstanding++;
    this.counters.riskChecks++;
    const token = ++job.call;
    job.stage = "risk";
    job.stageStartedAt = this.env.now();
    job.stageDeadline = this.stageDeadlines.add(this.config.risk.timeoutMs, job);
    const request = {
      orderId: job.view.orderId,
      sku: job.view.sku,
      tier: job.view.tier,
      amountCents: job.input.amountCents ?? 0,
      attempt: job.view.attempts,
    };
    risk.port.check(request, (outcome) => {
      if (job.call !== token || this.stopped) return;
      this.riskSettled(job, outcome);
    });
  }

  /** A risk check or an inline notification outlived its timeout (a settled one cancelled its deadline). */
  private stageTimedOut(job: Job): void {
    job.stageDeadline = null;
    if (job.stage === "risk") this.riskSettled(job, null);
    else if (job.stage === "notify") this.notifySettled(job, false);
  }

  /** Ends the order's risk check or inline notification: later answers are ignored; returns its length. */
  private endStage(job: Job): number {
    job.call++;
    job.stage = null;
    if (job.stageDeadline !== null) this.stageDeadlines.cancel(job.stageDeadline);
    job.stageDeadline = null;
    return this.env.now() - job.stageStartedAt;
  }

  /** The risk service answered (`null`: the core's risk timeout fired first). */
  private riskSettled(job: Job, outcome: RiskOutcome | null): void {
    const id = this.risk!.id;
    const took = this.endStage(job);
    job.view.timings.riskMs = (job.view.timings.riskMs ?? 0) + took;
    const service = this.health.get(id)!;
    service.outstanding = Math.max(0, service.outstanding - 1);
    if (outcome === null || outcome.kind === "error") {
      const detail =
        outcome === null ? `timeout after ${this.config.risk.timeoutMs} ms` : `error: ${outcome.reason}`;
      this.incidents.noteFailure(id, this.env.now(), detail);
      this.health.record(id, outcome === null ? "timeout" : "error");
      this.riskUnavailable(job, `risk service ${id}: ${detail}`);
      return;
    }
    this.health.record(id, took >= this.config.risk.slowCallMs ? "slow" : "ok");
    if (outcome.kind === "allow") {
      job.riskCleared = true;
      this.proceed(job);
    } else if (outcome.kind === "deny") {
      this.deny(job, `denied by risk service ${id}: ${outcome.reason}`);
    } else {
      this.hold(job, `held for review by risk service ${id}: ${outcome.reason}`);
    }
  }

  /** The risk check could not be made: config.risk.unavailable decides (config.ts). */
  private riskUnavailable(job: Job, detail: string): void {
    this.counters.riskUnavailable++;
    const policy = this.config.risk;
    let action: "retry" | "fail-closed" | "review" | "fail-open" = policy.unavailable;
    if (action === "fail-open") {
      const amount = job.input.amountCents ?? 0;
      if (amount <= policy.failOpenMaxCents) {
        this.counters.riskFailOpen++;
        job.riskCleared = true;
        this.proceed(job);
        return;
      }
      action = policy.aboveLimit;
      detail = `${detail}; amount ${amount} cents is over the fail-open limit of ${policy.failOpenMaxCents}`;
    }
    if (action === "retry") this.failAttempt(job, detail, this.risk!.id);
    else if (action === "fail-closed") this.fail(job, `${detail} (fail-closed)`, true);
    else this.hold(job, `${detail} (held for review)`);
  }

  /** A probe of the risk service for the health board: an answer of any verdict is a success. */
  private riskProbe(done: (outcome: CallOutcome) => void): void {
    const risk = this.risk!;
    let settled = false;
    const started = this.env.now();
    const timer = this.env.schedule(this.config.risk.timeoutMs, () => {
      if (settled) return;
      settled = true;
      done("timeout");
    });
    const request = {
      orderId: `probe:${risk.id}:${++this.probeSeq}`,
      sku: "",
      tier: "standard" as const,
      amountCents: 0,
      attempt: 1,
    };
    risk.port.check(request, (outcome) => {
      if (settled) return;
      settled = true;
      this.env.cancel(timer);
      if (outcome.kind === "error") done("error");
      else done(this.env.now() - started >= this.config.risk.slowCallMs ? "slow" : "ok");
    });
  }

  /** DENIED: the card goes back to the pool (an order the risk service refused never gets one). */
  private deny(job: Job, reason: string): void {
    this.counters.denied++;
    this.freeSlot(job);
    if (job.card !== null) {
      this.releaseCard(job.view.orderId, job.card.cardId, 1);
      job.view.cardId = null;
    }
    job.view.failureReason = reason;
    this.finish(job, "DENIED");
  }

  /** REVIEW: the order ends held; its card stays with it until a person decides (the store keeps the hold). */
  private hold(job: Job, reason: string): void {
    this.counters.review++;
    job.view.failureReason = reason;
    this.finish(job, "REVIEW");
  }

  // ---- the provider call ----

  private issue(job: Job): void {
    const provider = this.selector.choose(job.policy.provider.selection, this.env.now());
    if (provider === undefined) {
      this.failAttempt(job, "no provider configured");
      return;
    }
    this.incidents.noteDispatch(provider.id, this.health.providers);
    job.view.providerId = provider.id;
    this.move(job, "ISSUING");
    this.counters.providerCalls++;
    const request = {
      providerId: provider.id,
      orderId: job.view.orderId,
      sku: job.view.sku,
      cardId: job.card!.cardId,
      attempt: job.view.attempts,
    };
    this.calls.forOrder(job, provider, request, job.policy.provider);
  }

  /** The order's provider call ended (provider-calls.ts has booked it on the health board). */
  callSettled(job: Job, outcome: CallOutcome, reason: string): void {
    const providerId = job.provider!.id;
    if (outcome === "ok" || outcome === "slow") this.deliver(job);
    else if (outcome === "error") this.failAttempt(job, `provider ${providerId}: ${reason}`);
    else {
      this.counters.timeouts++;
      this.failAttempt(job, `provider ${providerId} timed out after ${job.callPolicy!.timeoutMs} ms`);
    }
  }

  private deliver(job: Job): void {
    const card = job.card!;
    this.store.deliver(job.view.orderId, card.cardId, (result) => {
      if (this.stopped) return;
      if (result.kind !== "ok") {
        this.failAttempt(job, `store: ${result.message}`);
        return;
      }
      job.view.cardCode = card.code;
      this.delivered(job);
    });
  }

  // ---- the notification stage ----

  /** The card is the customer's: notify (inline: the order waits in its worker; outbox: after) and finish. */
  private delivered(job: Job): void {
    const notifier = this.notifier;
    if (notifier === undefined) {
      this.finish(job, "DELIVERED");
      return;
    }
    if (this.config.notify.mode === "outbox") {
      this.finish(job, "DELIVERED");
      this.outbox!.enqueue(job.view.orderId, job.view.sku, job.view.tier);
      return;
    }
    const token = ++job.call;
    job.stage = "notify";
    job.stageStartedAt = this.env.now();
    job.stageDeadline = this.stageDeadlines.add(this.config.notify.timeoutMs, job);
    const request = { orderId: job.view.orderId, sku: job.view.sku, tier: job.view.tier, attempt: 1 };
    notifier.send(request, (outcome) => {
      if (job.call !== token || this.stopped) return;
      this.notifySettled(job, outcome.kind === "sent");
    });
  }

  /** The inline notification ended (sent, failed or timed out): the order is DELIVERED either way. */
  private notifySettled(job: Job, sent: boolean): void {
    job.view.timings.notifyMs = (job.view.timings.notifyMs ?? 0) + this.endStage(job);
    if (sent) this.counters.notifySent++;
    else this.counters.notifyFailed++;
    this.finish(job, "DELIVERED");
  }

  /** An attempt failed: retry within the budget and the attempt limit, else FAILED. */
  private failAttempt(job: Job, reason: string, failedOn?: string): void {
    job.view.failureReason = reason;
    job.failedOn = failedOn ?? job.provider?.id ?? null;
    this.freeSlot(job);
    if (job.holdsRetryToken) {
      this.budget.release();
      job.holdsRetryToken = false;
    }
    const now = this.env.now();
    if (job.view.attempts >= job.maxAttempts) {
      this.fail(job, `${reason} (after ${job.view.attempts} attempts)`, true);
      return;
    }
    if (!this.budget.tryAcquire(now)) {
      this.counters.budgetExhausted++;
      const allowance = this.budget.allowance(now);
      this.incidents.noteRetryRefused(now, job.view.orderId, reason, this.budget.active, allowance);
      this.fail(job, `${reason}; retry budget exhausted`, true);
      return;
    }
    job.holdsRetryToken = true;
    this.counters.retries++;
    if (job.failedOn !== null) this.incidents.noteRetry(job.failedOn);
    this.move(job, "RETRYING");
    const delay = backoffDelay(job.policy.retry, job.view.attempts, this.jitter);
    job.timer = this.env.schedule(delay, () => {
      job.timer = null;
      this.requeue(job);
    });
    this.pump();
  }

  private fail(job: Job, reason: string, releaseCard: boolean): void {
    job.view.failureReason = reason;
    this.freeSlot(job);
    if (releaseCard && job.card !== null) {
      const cardId = job.card.cardId;
      this.releaseCard(job.view.orderId, cardId, 1);
      job.view.cardId = null;
    }
    this.finish(job, "FAILED");
  }

  /** A release lost to a store error would leave a FAILED order holding its card: try again, with backoff. */
  private releaseCard(ownerId: string, cardId: string, attempt: number): void {
    this.store.release(ownerId, cardId, (result) => {
      if (result.kind === "error" && attempt < 5 && !this.stopped) {
        this.env.schedule(250 * 2 ** attempt, () => this.releaseCard(ownerId, cardId, attempt + 1));
      }
    });
  }

  private finish(job: Job, state: "DELIVERED" | "FAILED" | "DENIED" | "REVIEW"): void {
    this.freeSlot(job);
    if (job.holdsRetryToken) {
      this.budget.release();
      job.holdsRetryToken = false;
    }
    this.jobs.delete(job.view.orderId);
    if (job.card !== null) this.cardHolders.delete(job.card.cardId);
    if (state === "DELIVERED") {
      this.counters.delivered++;
      job.view.failureReason = null;
    } else if (state === "FAILED") this.counters.failed++;
    this.move(job, state);
    // The canary judges what its order policy decides; a risk verdict is the same for both arms.
    if (state === "DELIVERED" || state === "FAILED") this.canary.record(job.view);
    this.lastActivity = this.env.now();
    this.pump();
  }

  private freeSlot(job: Job): void {
    if (job.slot === null) return;
    this.lanes.releaseSlot(job.slot);
    job.slot = null;
  }

  // ---- providers outside orders: cache pre-issue (probes: the health board, through this.calls) ----

  private cacheIssue(owner: string, sku: string, cardId: string, done: (ok: boolean) => void): void {
    const provider = this.selector.choose(this.config.provider.selection, this.env.now());
    if (provider === undefined) {
      done(false);
      return;
    }
    this.calls.forCache(provider, owner, sku, cardId, done);
  }

  // ---- health, incidents, events ----

  private onHealth(event: HealthEvent): void {
    this.emit({ kind: "health", ...event });
    this.incidents.onTransition(event);
  }

  private emit(event: CoreEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  // ---- the overflow rule ----

  /** A primary with a backup behind it (its snapshot shows the overflow lane). */
  private hasBackup(): boolean {
    return this.overflow !== undefined && this.cluster === "primary";
  }

  /** Whether overflow may be on at all: a primary with a backup, and routing.overflow in force. */
  private overflowAllowed(): boolean {
    return this.config.routing.overflow && this.hasBackup();
  }

  /**
   * THE overflow rule: a new order goes to the backup cluster while overflow is on (router.ts) and
   * allowed, unless it is a VIP (VIP orders stay on the primary's VIP lane).
   */
  private sendsToBackup(tier: Tier): boolean {
    return tier !== "vip" && this.router.active && this.overflowAllowed();
  }

  // ---- the core's periodic timer: load sampling, overflow, prewarm, hot-SKU preload ----

  private ensureTick(): void {
    if (this.tickHandle !== null || this.stopped) return;
    this.tickHandle = this.env.schedule(this.config.routing.sampleIntervalMs, () => this.tick());
  }

  private tick(): void {
    this.tickHandle = null;
    if (this.stopped) return;
    const now = this.env.now();
    const total = this.lanes.totalWorkers;
    const raw = total > 0 ? Math.min(1, this.lanes.busy / total) : 1;
    const switched = this.router.sample(raw, now, this.overflowAllowed());
    if (switched) {
      this.counters.routeSwitches = this.router.switches;
      this.emit({
        kind: "route",
        at: now,
        overflowActive: this.router.active,
        primaryLoad: this.router.load,
        totalSwitches: this.router.switches,
      });
    }
    this.incidents.onTick({
      now,
      switched,
      overflowActive: this.router.active,
      primaryLoad: this.router.load,
      minDwellMs: this.config.routing.minDwellMs,
      budgetHasRoom:
        !this.config.retry.budget.enabled || this.budget.active + 1 <= this.budget.allowance(now),
    });
    this.prewarm.tick(now, this.router.load, this.hot);
    const busy = this.jobs.size > 0 || this.forwarded.size > 0 || this.prewarm.busy;
    if (busy) this.lastActivity = now;
    const wanted = now - this.lastActivity < this.config.idleStopMs || this.incidents.awaitingTick;
    if (busy || wanted || this.router.active) this.ensureTick();
  }
}
