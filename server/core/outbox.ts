// The notification outbox (adaptive's delivery notification): a DELIVERED order hands its
// notification here and is done; the outbox sends it through the NotifyPort with its own timeout and
// retries a failed send with exponential backoff and full jitter (stream "notify-jitter"). It is
// bounded: a notification arriving while `outboxCapacity` are pending (sending or waiting to retry)
// is dropped and counted, as is one that used up its tries. Nothing here touches an order.
import { backoffDelay } from "./compensation.ts";
import type { DispatchConfig } from "./config.ts";
import { DeadlineQueue } from "./deadlines.ts";
import type { Environment, RandomStream, TimerHandle } from "./env.ts";
import type { NotifyPort, NotifyRequest } from "./ports.ts";

export type NotifyConfig = DispatchConfig["notify"];

export interface OutboxCounters {
  /** Notifications the service confirmed. */
  sent: number;
  /** Notifications given up after their last try. */
  failed: number;
  /** Notifications refused because the outbox was full. */
  dropped: number;
  /** Sends that failed or timed out and were tried again. */
  retried: number;
}

interface Pending {
  request: NotifyRequest;
  /** Increases per send, so a late answer to a timed-out send is ignored. */
  token: number;
  timer: TimerHandle | null;
}

export class NotifyOutbox {
  readonly counters: OutboxCounters = { sent: 0, failed: 0, dropped: 0, retried: 0 };
  private readonly pending = new Set<Pending>();
  private readonly deadlines: DeadlineQueue<Pending>;
  private stopped = false;

  constructor(
    private readonly env: Environment,
    private readonly port: NotifyPort,
    /** The configuration in force (it changes with applyConfig). */
    private readonly config: () => NotifyConfig,
    private readonly jitter: RandomStream,
  ) {
    this.deadlines = new DeadlineQueue<Pending>(env, (entry) => this.settle(entry, entry.token, false));
  }

  /** Notifications sending or waiting to retry. */
  get size(): number {
    return this.pending.size;
  }

  /** Takes a notification; false (and counted as dropped) when the outbox is full or stopped. */
  enqueue(orderId: string, sku: string, tier: NotifyRequest["tier"]): boolean {
    if (this.stopped || this.pending.size >= this.config().outboxCapacity) {
      this.counters.dropped++;
      return false;
    }
    const entry: Pending = { request: { orderId, sku, tier, attempt: 0 }, token: 0, timer: null };
    this.pending.add(entry);
    this.send(entry);
    return true;
  }

  private send(entry: Pending): void {
    entry.timer = null;
    if (this.stopped) return;
    entry.request.attempt++;
    const token = ++entry.token;
    const deadline = this.deadlines.add(this.config().timeoutMs, entry);
    this.port.send({ ...entry.request }, (outcome) => {
      if (entry.token !== token) return;
      this.deadlines.cancel(deadline);
      this.settle(entry, token, outcome.kind === "sent");
    });
  }

  private settle(entry: Pending, token: number, sent: boolean): void {
    if (entry.token !== token || this.stopped) return;
    entry.token++; // a late answer to this send is ignored
    if (sent) {
      this.counters.sent++;
      this.pending.delete(entry);
      return;
    }
    const config = this.config();
    if (entry.request.attempt >= config.maxAttempts) {
      this.counters.failed++;
      this.pending.delete(entry);
      return;
    }
    this.counters.retried++;
    const delay = backoffDelay(
      {
        backoff: "exponential",
        baseDelayMs: config.baseDelayMs,
        maxDelayMs: config.maxDelayMs,
        jitter: "full",
      },
      entry.request.attempt,
      this.jitter,
    );
    entry.timer = this.env.schedule(delay, () => this.send(entry));
  }

  /** Cancels every timer; pending notifications stay unsent (answers arriving later are ignored). */
  stop(): void {
    this.stopped = true;
    this.deadlines.stop();
    for (const entry of this.pending) if (entry.timer !== null) this.env.cancel(entry.timer);
  }
}
