// Provider-call timeouts without one environment timer per call. Every call of one dispatcher with
// the same timeout length gets a deadline that is later than all earlier ones (time only moves
// forward), so a FIFO per timeout length is already sorted: one environment timer per FIFO, armed
// for its oldest live deadline, replaces a heap insert and a cancel per call. A settled call just
// marks its entry dead; dead entries are dropped when they reach the head.
//
// A deadline holds a target (an order waiting for its provider, say) and the queue hands it to one
// `expire` function given at construction, so adding a deadline allocates the entry and nothing
// else: no closure per call.
import type { Environment, TimerHandle } from "./env.ts";
import { Ring } from "./ring.ts";

export interface Deadline<T> {
  at: number;
  /** null once cancelled or expired. */
  target: T | null;
}

class Fifo<T> {
  readonly entries = new Ring<Deadline<T>>(256);
  timer: TimerHandle | null = null;
}

export class DeadlineQueue<T> {
  private readonly fifos = new Map<number, Fifo<T>>();
  private stopped = false;

  constructor(
    private readonly env: Environment,
    private readonly expire: (target: T) => void,
  ) {}

  /** Calls expire(target) after `timeoutMs` unless cancel() comes first. */
  add(timeoutMs: number, target: T): Deadline<T> {
    let fifo = this.fifos.get(timeoutMs);
    if (fifo === undefined) {
      fifo = new Fifo<T>();
      this.fifos.set(timeoutMs, fifo);
    }
    const entry: Deadline<T> = { at: this.env.now() + timeoutMs, target };
    fifo.entries.push(entry);
    if (fifo.timer === null) this.arm(fifo);
    return entry;
  }

  cancel(entry: Deadline<T>): void {
    entry.target = null;
  }

  private arm(fifo: Fifo<T>): void {
    if (this.stopped) return;
    for (
      let head = fifo.entries.peek();
      head !== undefined && head.target === null;
      head = fifo.entries.peek()
    ) {
      fifo.entries.shift();
    }
    const head = fifo.entries.peek();
    if (head === undefined) return;
    fifo.timer = this.env.schedule(head.at - this.env.now(), () => this.fire(fifo));
  }

  private fire(fifo: Fifo<T>): void {
    fifo.timer = null;
    const now = this.env.now();
    for (let head = fifo.entries.peek(); head !== undefined && head.at <= now; head = fifo.entries.peek()) {
      fifo.entries.shift();
      const target = head.target;
      head.target = null;
      if (target !== null) this.expire(target);
    }
    if (fifo.timer === null) this.arm(fifo);
  }

  stop(): void {
    this.stopped = true;
    for (const fifo of this.fifos.values()) {
      if (fifo.timer !== null) this.env.cancel(fifo.timer);
      fifo.timer = null;
    }
  }
}
