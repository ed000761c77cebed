// Provider-call timeouts without one environment timer per call. Every call of one dispatcher with
// the same timeout length gets a deadline that is later than all earlier ones (time only moves
// forward), so a FIFO per timeout length is already sorted: one environment timer per FIFO, armed
// for its oldest live deadline, replaces a heap insert and a cancel per call. A settled call just
// marks its entry dead; dead entries are dropped when they reach the head.
import type { Environment, TimerHandle } from "./env.ts";
import { Ring } from "./ring.ts";

export interface Deadline {
  at: number;
  onTimeout: (() => void) | null;
}

class Fifo {
  readonly entries = new Ring<Deadline>(256);
  timer: TimerHandle | null = null;
  armedFor = Number.NaN;
}

export class DeadlineQueue {
  private readonly fifos = new Map<number, Fifo>();
  private stopped = false;

  constructor(private readonly env: Environment) {}

  /** Calls `onTimeout` after `timeoutMs` unless cancel() comes first. */
  add(timeoutMs: number, onTimeout: () => void): Deadline {
    let fifo = this.fifos.get(timeoutMs);
    if (fifo === undefined) {
      fifo = new Fifo();
      this.fifos.set(timeoutMs, fifo);
    }
    const entry: Deadline = { at: this.env.now() + timeoutMs, onTimeout };
    fifo.entries.push(entry);
    if (fifo.timer === null) this.arm(fifo);
    return entry;
  }

  cancel(entry: Deadline): void {
    entry.onTimeout = null;
  }

  private arm(fifo: Fifo): void {
    if (this.stopped) return;
    for (
      let head = fifo.entries.peek();
      head !== undefined && head.onTimeout === null;
      head = fifo.entries.peek()
    ) {
      fifo.entries.shift();
    }
    const head = fifo.entries.peek();
    if (head === undefined) return;
    fifo.armedFor = head.at;
    fifo.timer = this.env.schedule(head.at - this.env.now(), () => this.fire(fifo));
  }

  private fire(fifo: Fifo): void {
    fifo.timer = null;
    const now = this.env.now();
    for (let head = fifo.entries.peek(); head !== undefined && head.at <= now; head = fifo.entries.peek()) {
      fifo.entries.shift();
      const fn = head.onTimeout;
      head.onTimeout = null;
      if (fn !== null) fn();
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
