// The server's book of orders: the ledger write before the acknowledgement, the core's state
// changes persisted (claimed card, retries, terminal state), waiters for SubmitOrder's
// WAIT_MODE_DELIVERED and WatchOrder, idempotent replays and recovery after a restart.
// Clients never learn more than the ledger holds: a terminal state (the only one with a card code) is
// shown only after its write succeeded; a failed write is retried and its waiters get UNAVAILABLE.
import { randomUUID } from "node:crypto";
import type { OrderView, Tier } from "./core/types.ts";
import { TERMINAL_STATES } from "./core/types.ts";
import type { DispatcherLike } from "./dispatcher-contract.ts";
import type { OrderEnvelope } from "./grpc/convert.ts";
import { acceptedOrder } from "./store/ledger-order.ts";
import type { LedgerOrder, LedgerPatch, Store } from "./store/types.ts";
import type { OrderTracer, TraceCarrier } from "./tracing.ts";

export type OrderListener = (view: OrderView, previous: OrderView | null) => void;

export interface LiveOrder {
  readonly orderId: string;
  readonly envelope: OrderEnvelope;
  /**
   * What clients see: the core's non-terminal states as they happen, a terminal state (and with it a
   * card code) only once the ledger holds it. Null until the first non-terminal state.
   */
  view: OrderView | null;
  /** The core's latest view: ahead of `view` while its terminal state is being written. */
  latest: OrderView | null;
  /** Told of every state clients may see (`view` changes). */
  readonly listeners: Set<OrderListener>;
  /** Told of every failed ledger write of this order; clients waiting on it get UNAVAILABLE. */
  readonly failureListeners: Set<(error: Error) => void>;
  /** The last failed write, until a later write of this order succeeds. */
  failing: Error | null;
  /** Resolves when no ledger write of this order is running or waiting to be retried. */
  persisted: Promise<void>;
  /** The terminal view, once it is in the ledger. */
  done: Promise<OrderView>;
  resolveDone: (view: OrderView) => void;
  /** The card id last written to the ledger, and the pending delayed card write. */
  cardWritten: string | null;
  cardTimer: NodeJS.Timeout | null;
  /** The newest view still to be written (each write carries the whole view, so it replaces older ones). */
  unwritten: OrderView | null;
  writing: boolean;
}

export type SubmitResult =
  | { kind: "live"; order: LiveOrder; replayed: boolean }
  | { kind: "ledger"; order: LedgerOrder; replayed: true }
  /** The key names an order that asked for something else: a key means one request. */
  | { kind: "conflict"; field: "sku" | "tier"; order: LedgerOrder };

export interface OrderBookOptions {
  dispatcher: DispatcherLike;
  store: Store;
  /** Env-clock time to Unix ms. */
  toUnix: (envTime: number) => number;
  /** Called once per new order, once the ledger holds it (serve --record writes it to an order log). */
  onAccepted?: (order: {
    acceptedAt: number;
    sku: string;
    tier: Tier;
    idempotencyKey: string;
    clientId: string | null;
  }) => void;
  /** Called once per order when its terminal state is in the ledger. */
  onTerminal?: (view: OrderView) => void;
  /**
   * Ledger write failures, once per run of failures of an order (the write is retried; clients see only
   * what the ledger holds), and each order given up on.
   */
  onError?: (err: unknown) => void;
  /**
   * How long a failing ledger write of one order is retried (backoff 10 ms doubling to 1 s) before the
   * book gives up on it (default 300 000). The order then stays in its last recorded, non-terminal state
   * in the ledger, and recovery after a restart finishes it (a claim by the same order id returns the
   * same card); a later state from the core tries again.
   */
  ledgerRetryMs?: number;
  /**
   * A stable name of this instance among several sharing one store (serve --instance). Order ids then
   * start with it, and recovery takes back only this instance's orders: without it a restarted instance
   * would also take the in-flight orders of its live siblings, and two processes would work one order.
   */
  instance?: string;
  /** A claimed card is copied to the ledger if the order is still running this long after the claim (default 25). */
  cardWriteDelayMs?: number;
  /** Traces each new order's stages (serve --otlp; server/tracing.ts). */
  tracer?: OrderTracer;
}

/**
 * What every order id of an instance starts with: `o-NAME.` (instance names have no dot, so no name's
 * prefix is another's), or `o-` without a name. The rest of the id is the accept time and a random UUID.
 */
export function orderIdPrefix(instance: string | undefined): string {
  return instance === undefined ? "o-" : `o-${instance}.`;
}

export class OrderBook {
  private readonly live = new Map<string, LiveOrder>();
  private readonly idPrefix: string;
  private drainWaiters: (() => void)[] = [];
  private readonly cardWriteDelayMs: number;
  private readonly ledgerRetryMs: number;
  /** Set by drain: failing writes stop retrying (recovery after the restart finishes their orders). */
  private stopping = false;
  private readonly sleepers = new Set<() => void>();

  constructor(private readonly options: OrderBookOptions) {
    this.idPrefix = orderIdPrefix(options.instance);
    this.cardWriteDelayMs = options.cardWriteDelayMs ?? 25;
    this.ledgerRetryMs = options.ledgerRetryMs ?? 300_000;
  }

  get inFlight(): number {
    return this.live.size;
  }

  getLive(orderId: string): LiveOrder | undefined {
    return this.live.get(orderId);
  }

  /** Records the order (idempotently), then hands a new one to the core. */
  async submit(
    input: { idempotencyKey: string; sku: string; tier: Tier; clientId?: string | null },
    receivedAtUnixMs: number,
    /** The client's trace context (SubmitOrder's metadata), when tracing is on. */
    traceCarrier?: TraceCarrier,
  ): Promise<SubmitResult> {
    // 122 random bits (crypto, issue 17): an id says nothing about any other order's id. The accept
    // time in front (8 base-36 digits, in order until 2059) keeps new ids at the right edge of the
    // ledger's primary-key index: fully random keys doubled SQLite's cost per order (73 -> 157-195 us
    // for record + final update, 12,800 orders), inserting all over the B-tree.
    const orderId = `${this.idPrefix}${Date.now().toString(36)}${randomUUID()}`;
    const acceptedAt = Date.now();
    const record = acceptedOrder({
      orderId,
      idempotencyKey: input.idempotencyKey,
      sku: input.sku,
      tier: input.tier,
      acceptedAt,
      clientId: input.clientId ?? null,
    });
    const { created, order } = await this.options.store.recordOrder(record);
    if (!created) {
      if (order.sku !== input.sku) return { kind: "conflict", field: "sku", order };
      if (order.tier !== input.tier) return { kind: "conflict", field: "tier", order };
      const live = this.live.get(order.orderId);
      return live ? { kind: "live", order: live, replayed: true } : { kind: "ledger", order, replayed: true };
    }
    this.options.onAccepted?.({
      acceptedAt,
      sku: input.sku,
      tier: input.tier,
      idempotencyKey: input.idempotencyKey,
      clientId: input.clientId ?? null,
    });
    const live = this.track(orderId, {
      idempotencyKey: input.idempotencyKey,
      acceptedAtUnixMs: acceptedAt,
      acceptMs: Date.now() - receivedAtUnixMs,
      clientId: input.clientId ?? null,
    });
    this.options.tracer?.begin(orderId, receivedAtUnixMs, traceCarrier);
    const first = this.options.dispatcher.submit({ orderId, sku: input.sku, tier: input.tier }, (v) =>
      this.changed(live, v),
    );
    if (live.latest === null) this.changed(live, first);
    return { kind: "live", order: live, replayed: false };
  }

  /** Puts every non-terminal ledger order back into the core (after a restart). */
  async recover(): Promise<number> {
    const mine = this.idPrefix;
    const orders = (await this.options.store.nonTerminalOrders()).filter((o) => o.orderId.startsWith(mine));
    for (const o of orders) {
      if (this.live.has(o.orderId)) continue;
      const live = this.track(o.orderId, {
        idempotencyKey: o.idempotencyKey,
        acceptedAtUnixMs: o.acceptedAt,
        acceptMs: o.acceptMs ?? 0,
        clientId: o.clientId,
      });
      live.cardWritten = o.cardId;
      const first = this.options.dispatcher.recover(
        { orderId: o.orderId, sku: o.sku, tier: o.tier, attempts: o.attempts, cardId: o.cardId ?? undefined },
        (v) => this.changed(live, v),
      );
      if (live.latest === null) this.changed(live, first);
    }
    // A crash between the ledger's FAILED and the card's release leaves a failed order holding its card.
    for (const held of await this.options.store.failedHoldingCards()) {
      if (held.orderId.startsWith(mine)) await this.options.store.release(held.orderId, held.cardId);
    }
    return orders.length;
  }

  /**
   * Resolves when no order is in flight, or after `timeoutMs`; then stops retrying failed ledger writes
   * and waits for the writes still running.
   */
  async drain(timeoutMs: number): Promise<{ unfinished: number }> {
    if (this.live.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.drainWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    this.stopping = true;
    for (const wake of this.sleepers) wake();
    await Promise.all([...this.live.values()].map((l) => l.persisted));
    return { unfinished: this.live.size };
  }

  private track(orderId: string, envelope: OrderEnvelope): LiveOrder {
    let resolveDone!: (view: OrderView) => void;
    const done = new Promise<OrderView>((r) => {
      resolveDone = r;
    });
    const live: LiveOrder = {
      orderId,
      envelope,
      view: null,
      latest: null,
      listeners: new Set(),
      failureListeners: new Set(),
      failing: null,
      persisted: Promise.resolve(),
      done,
      resolveDone,
      cardWritten: null,
      cardTimer: null,
      unwritten: null,
      writing: false,
    };
    this.live.set(orderId, live);
    return live;
  }

  private changed(live: LiveOrder, view: OrderView): void {
    const previous = live.latest;
    live.latest = view;
    this.options.tracer?.change(view);
    const terminal = TERMINAL_STATES.has(view.state);
    // What recovery and replays need goes to the ledger: the claimed card, retries and the end. The claim
    // is already durable in the card pool (owner = order id) before a provider is called, so the card is
    // copied to the ledger only for an order still running `cardWriteDelayMs` later: an order that ends
    // sooner writes its card with its terminal state, one write instead of two.
    if (terminal || (view.state === "RETRYING" && previous?.state !== "RETRYING")) {
      if (live.cardTimer !== null) clearTimeout(live.cardTimer);
      live.cardTimer = null;
      live.cardWritten = view.cardId;
      this.write(live, view);
    } else if (view.cardId !== null && view.cardId !== live.cardWritten && live.cardTimer === null) {
      live.cardTimer = setTimeout(() => {
        live.cardTimer = null;
        const current = live.latest;
        if (current === null || TERMINAL_STATES.has(current.state) || current.cardId === live.cardWritten)
          return;
        live.cardWritten = current.cardId;
        this.write(live, current);
      }, this.cardWriteDelayMs);
    }
    // A non-terminal state says only "not finished", which the ledger (ACCEPTED, ISSUING or RETRYING)
    // and recovery agree with; a terminal one is shown by `finished`, once the ledger holds it.
    if (!terminal) this.show(live, view);
  }

  private show(live: LiveOrder, view: OrderView): void {
    const previous = live.view;
    live.view = view;
    for (const listener of live.listeners) listener(view, previous);
  }

  /** Queues `view` for the ledger; one writer per order, so writes land in order. */
  private write(live: LiveOrder, view: OrderView): void {
    live.unwritten = view;
    if (live.writing) return;
    live.writing = true;
    live.persisted = this.writeLoop(live);
  }

  /**
   * Writes the newest unwritten view until none is left. A failed write is retried with backoff (a newer
   * view replaces it meanwhile) for up to `ledgerRetryMs`, or until drain; then the book gives up.
   */
  private async writeLoop(live: LiveOrder): Promise<void> {
    let failingSince: number | null = null;
    let backoffMs = 0;
    while (live.unwritten !== null) {
      const view = live.unwritten;
      live.unwritten = null;
      try {
        await this.options.store.updateOrder(live.orderId, this.patchOf(view, live.envelope));
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        // Logged once per run of failures (a full disk fails every retry of every order until it clears).
        if (failingSince === null) this.options.onError?.(error);
        live.unwritten ??= view;
        live.failing = error;
        for (const listener of live.failureListeners) listener(error);
        failingSince ??= Date.now();
        if (this.stopping || Date.now() - failingSince >= this.ledgerRetryMs) {
          this.giveUp(live);
          break;
        }
        backoffMs = Math.min(1000, backoffMs === 0 ? 10 : backoffMs * 2);
        await this.sleep(backoffMs);
        continue;
      }
      failingSince = null;
      backoffMs = 0;
      live.failing = null;
      if (TERMINAL_STATES.has(view.state)) this.finished(live, view);
    }
    live.writing = false;
  }

  /** The terminal state is in the ledger: now clients may see it. */
  private finished(live: LiveOrder, view: OrderView): void {
    this.show(live, view);
    this.forget(live);
    live.resolveDone(view);
    this.options.onTerminal?.(view);
  }

  /**
   * Writes of this order kept failing. An order the core has finished leaves memory: the ledger keeps
   * its last recorded, non-terminal state (what clients were shown), and recovery after a restart
   * finishes it. A running order stays, and its next state tries the ledger again.
   */
  private giveUp(live: LiveOrder): void {
    const latest = live.latest;
    if (latest === null || !TERMINAL_STATES.has(latest.state)) return;
    this.options.onError?.(
      new Error(
        `order ${live.orderId}: its ${latest.state} state is not in the ledger; it stays unfinished there until recovery after a restart finishes it`,
      ),
    );
    this.forget(live);
  }

  private forget(live: LiveOrder): void {
    this.live.delete(live.orderId);
    if (this.live.size === 0 && this.drainWaiters.length > 0) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** A backoff pause that drain cuts short. */
  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  private patchOf(view: OrderView, envelope: OrderEnvelope): LedgerPatch {
    // The stage timings SubmitOrder returns (same names), so GetOrder/WatchOrder can return them from the ledger.
    const { queuedMs, allocatingMs, issuingMs, retryingMs, totalMs } = view.timings;
    return {
      state: view.state,
      attempts: view.attempts,
      cardId: view.cardId,
      cardCode: view.cardCode,
      lane: view.lane,
      cluster: view.cluster,
      providerId: view.providerId,
      rejectReason: view.rejectReason,
      failureReason: view.failureReason,
      fromCache: view.fromCache,
      canary: view.canary,
      finishedAt: view.finishedAt === null ? null : this.options.toUnix(view.finishedAt),
      acceptMs: envelope.acceptMs,
      queuedMs,
      allocatingMs,
      issuingMs,
      retryingMs,
      totalMs,
    };
  }
}
