// The server's book of orders: the ledger write before the acknowledgement, the core's state
// changes persisted (claimed card, retries, terminal state), waiters for SubmitOrder's
// WAIT_MODE_DELIVERED and WatchOrder, idempotent replays and recovery after a restart.
import { randomUUID } from "node:crypto";
import type { OrderView, Tier } from "./core/types.ts";
import { TERMINAL_STATES } from "./core/types.ts";
import type { DispatcherLike } from "./dispatcher-contract.ts";
import type { OrderEnvelope } from "./grpc/convert.ts";
import { acceptedOrder } from "./store/ledger-order.ts";
import type { LedgerOrder, LedgerPatch, Store } from "./store/types.ts";

export type OrderListener = (view: OrderView, previous: OrderView | null) => void;

export interface LiveOrder {
  readonly orderId: string;
  readonly envelope: OrderEnvelope;
  view: OrderView | null;
  readonly listeners: Set<OrderListener>;
  /** Resolves when every ledger write issued so far has finished. */
  persisted: Promise<void>;
  /** The terminal view, once it is in the ledger. */
  done: Promise<OrderView>;
  resolveDone: (view: OrderView) => void;
  /** The card id last written to the ledger, and the pending delayed card write. */
  cardWritten: string | null;
  cardTimer: NodeJS.Timeout | null;
}

export type SubmitResult =
  | { kind: "live"; order: LiveOrder; replayed: boolean }
  | { kind: "ledger"; order: LedgerOrder; replayed: true };

export interface OrderBookOptions {
  dispatcher: DispatcherLike;
  store: Store;
  /** Env-clock time to Unix ms. */
  toUnix: (envTime: number) => number;
  /** Called once per order when its terminal state is in the ledger. */
  onTerminal?: (view: OrderView) => void;
  /** Ledger write failures (logged; the order carries on in memory). */
  onError?: (err: unknown) => void;
  /**
   * A stable name of this instance among several sharing one store (serve --instance). Order ids then
   * start with it, and recovery takes back only this instance's orders: without it a restarted instance
   * would also take the in-flight orders of its live siblings, and two processes would work one order.
   */
  instance?: string;
  /** A claimed card is copied to the ledger if the order is still running this long after the claim (default 25). */
  cardWriteDelayMs?: number;
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

  constructor(private readonly options: OrderBookOptions) {
    this.idPrefix = orderIdPrefix(options.instance);
    this.cardWriteDelayMs = options.cardWriteDelayMs ?? 25;
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
      const live = this.live.get(order.orderId);
      return live ? { kind: "live", order: live, replayed: true } : { kind: "ledger", order, replayed: true };
    }
    const live = this.track(orderId, {
      idempotencyKey: input.idempotencyKey,
      acceptedAtUnixMs: acceptedAt,
      acceptMs: Date.now() - receivedAtUnixMs,
      clientId: input.clientId ?? null,
    });
    const first = this.options.dispatcher.submit({ orderId, sku: input.sku, tier: input.tier }, (v) =>
      this.changed(live, v),
    );
    if (live.view === null) this.changed(live, first);
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
      if (live.view === null) this.changed(live, first);
    }
    // A crash between the ledger's FAILED and the card's release leaves a failed order holding its card.
    for (const held of await this.options.store.failedHoldingCards()) {
      if (held.orderId.startsWith(mine)) await this.options.store.release(held.orderId, held.cardId);
    }
    return orders.length;
  }

  /** Resolves when no order is in flight, or after `timeoutMs`; then waits for pending ledger writes. */
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
      listeners: new Set(),
      persisted: Promise.resolve(),
      done,
      resolveDone,
      cardWritten: null,
      cardTimer: null,
    };
    this.live.set(orderId, live);
    return live;
  }

  private changed(live: LiveOrder, view: OrderView): void {
    const previous = live.view;
    live.view = view;
    const terminal = TERMINAL_STATES.has(view.state);
    // What recovery and replays need goes to the ledger: the claimed card, retries and the end. The claim
    // is already durable in the card pool (owner = order id) before a provider is called, so the card is
    // copied to the ledger only for an order still running `cardWriteDelayMs` later: an order that ends
    // sooner writes its card with its terminal state, one write instead of two.
    if (terminal || (view.state === "RETRYING" && previous?.state !== "RETRYING")) {
      if (live.cardTimer !== null) clearTimeout(live.cardTimer);
      live.cardTimer = null;
      live.cardWritten = view.cardId;
      this.persist(live, this.patchOf(view, live.envelope));
    } else if (view.cardId !== null && view.cardId !== live.cardWritten && live.cardTimer === null) {
      live.cardTimer = setTimeout(() => {
        live.cardTimer = null;
        const current = live.view;
        if (current === null || TERMINAL_STATES.has(current.state) || current.cardId === live.cardWritten)
          return;
        live.cardWritten = current.cardId;
        this.persist(live, this.patchOf(current, live.envelope));
      }, this.cardWriteDelayMs);
    }
    for (const listener of live.listeners) listener(view, previous);
    if (terminal) {
      live.persisted.then(() => {
        this.live.delete(live.orderId);
        live.resolveDone(view);
        this.options.onTerminal?.(view);
        if (this.live.size === 0 && this.drainWaiters.length > 0) {
          const waiters = this.drainWaiters;
          this.drainWaiters = [];
          for (const w of waiters) w();
        }
      });
    }
  }

  private persist(live: LiveOrder, patch: LedgerPatch): void {
    live.persisted = live.persisted
      .then(() => this.options.store.updateOrder(live.orderId, patch))
      .catch((err: unknown) => this.options.onError?.(err));
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
