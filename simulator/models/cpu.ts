// The cluster CPU model: each cluster's `cores` are processors that serve CPU demand, and an order
// does not take its next step until its stage's CPU has been served, so a saturated CPU slows
// orders down (issue 13). Utilisation is busy processor time over capacity, from the same model.
//
// Discipline: one FIFO queue in front of the processors, each job run to completion on the first
// processor free (M/G/c first-come first-served), not processor sharing. A Node server is an event
// loop: a callback runs to completion and ready callbacks run in the order they became ready, which
// is FIFO and non-preemptive; a job's finish time is known when it arrives, so a job costs one
// scheduled event. `cores` may be fractional (a CPU quota): ceil(cores) processors, each at speed
// cores / ceil(cores), so capacity is `cores` processor-seconds per second.
//
// What each stage costs, and where the order waits for it (scenarios/README.md, "CPU"):
// - accept: before the core sees the order (on the backup: after the hop, before its submit);
// - allocate + issue: before each provider call, as one job (with a synchronous store the claim and
//   the call are one run of the event loop); a retry's call adds `retry`, a probe pays issue only,
//   cache pre-issue pays both; an order that never calls a provider (a cache hit, out of stock) pays
//   allocate with its reply;
// - deliver: after a DELIVERED or FAILED order leaves the core, before its client sees the reply
//   (booked at once: nothing in the core waits for it, so it costs no event);
// - waitPerSecond: background demand from orders queued or in retry backoff, in 10 ms slices;
// - colocatedMsPerOrder: background demand on the primary at every arrival (driver and provider farm).
// A zero cost is no job at all: the order goes on in the same instant, exactly as without the model.

import type { ClusterSpec } from "../../scenarios/schema.ts";
import type { Environment } from "../../server/core/env.ts";
import type { ProviderPort } from "../../server/core/ports.ts";
import { type ClusterName, type OrderView, TERMINAL_STATES } from "../../server/core/types.ts";

/** Waiting orders' CPU is charged in slices of this length (short against a window, long against a job). */
const WAIT_SLICE_MS = 10;

/** One cluster's processors: FIFO jobs, busy time booked per window. */
export class Processors {
  /**
   * When each processor finishes the work it has been given, as a binary min-heap: which processor
   * runs a job changes no time, so only the earliest free one (the root) matters.
   */
  private readonly freeAt: Float64Array;
  private readonly speed: number;
  /** Busy processor-ms per window index (a job is split at window edges). */
  private readonly busy: number[] = [];

  constructor(
    private readonly env: Environment,
    cores: number,
    private readonly windowMs: number,
    /** The run's end: work after it is in no window (the last window may be short). */
    private readonly endMs = Number.POSITIVE_INFINITY,
  ) {
    const n = Math.max(1, Math.ceil(cores));
    this.freeAt = new Float64Array(n);
    this.speed = cores / n;
  }

  get count(): number {
    return this.freeAt.length;
  }

  /**
   * Queues `costMs` of CPU work; `then` runs when it has been served. Zero work runs `then` now.
   * Without `then` the work is background demand: it only keeps a processor busy.
   */
  run(costMs: number, then?: () => void): void {
    if (costMs <= 0) {
      then?.();
      return;
    }
    const finish = this.enqueue(costMs);
    if (then !== undefined) this.env.schedule(finish - this.env.now(), then);
  }

  /** Queues `costMs` of CPU work now and returns when it will have been served (no event). */
  enqueue(costMs: number): number {
    const now = this.env.now();
    if (costMs <= 0) return now;
    const heap = this.freeAt;
    const start = Math.max(heap[0]!, now);
    const finish = start + costMs / this.speed;
    // Replace the root and sift it down.
    const n = heap.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && heap[r]! < heap[l]! ? r : l;
      if (heap[c]! >= finish) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = finish;
    this.book(start, finish);
    return finish;
  }

  private book(start: number, finish: number): void {
    const w = this.windowMs;
    const busy = this.busy;
    const end = Math.min(finish, this.endMs);
    let t = start;
    let i = Math.floor(t / w);
    while (t < end) {
      const edge = Math.min(end, (i + 1) * w);
      while (busy.length <= i) busy.push(0);
      busy[i]! += edge - t;
      t = edge;
      i++;
    }
  }

  /** Busy processor time / capacity in the window [t0, t0 + lengthMs). */
  utilisation(t0: number, lengthMs: number): number {
    const busy = this.busy[Math.round(t0 / this.windowMs)] ?? 0;
    return busy / (lengthMs * this.freeAt.length);
  }
}

export class CpuModel {
  private readonly processors: Record<ClusterName, Processors>;
  private readonly costs: ClusterSpec["cpuCostMs"];
  private readonly colocatedMs: number;
  /** Orders QUEUED or RETRYING per cluster (only counted when waiting costs CPU). */
  private readonly waiting: Record<ClusterName, number> = { primary: 0, backup: 0 };

  constructor(
    private readonly env: Environment,
    cluster: ClusterSpec,
    windowMs: number,
    endMs: number,
  ) {
    this.processors = {
      primary: new Processors(env, cluster.primary.cores, windowMs, endMs),
      backup: new Processors(env, cluster.backup.cores, windowMs, endMs),
    };
    this.costs = cluster.cpuCostMs;
    this.colocatedMs = cluster.colocatedMsPerOrder;
    if (this.costs.waitPerSecond > 0) this.chargeWaitingUntil(endMs);
  }

  /** A new order reaches the primary: the colocated driver and farm's share, then `submit` after accept. */
  arrive(submit: () => void): void {
    const p = this.processors.primary;
    p.run(this.costs.accept, submit);
    // After the accept: the order does not wait behind its own driver's work, later orders do.
    p.run(this.colocatedMs);
  }

  /** A forwarded order reaches the backup: `submit` after accept. */
  acceptAt(cluster: ClusterName, submit: () => void): void {
    this.processors[cluster].run(this.costs.accept, submit);
  }

  /**
   * The providers as `cluster`'s core sees them: CPU before every call. An order's call pays
   * allocate + issue (the claim and the call are one run of the event loop with a synchronous store,
   * and one job is one event), a retry's call adds retry; a probe (no card) pays issue only.
   */
  providers(cluster: ClusterName, port: ProviderPort): ProviderPort {
    const { issue, retry, allocate } = this.costs;
    const first = allocate + issue;
    if (first <= 0 && retry <= 0) return port;
    const p = this.processors[cluster];
    return {
      issue: (request, done) => {
        const cost = request.cardId === "" ? issue : request.attempt > 1 ? first + retry : first;
        p.run(cost, () => port.issue(request, done));
      },
    };
  }

  /**
   * The listener for one order that reached `cluster` at `arrivedAt`: it counts the order's waiting,
   * queues the reply's CPU when the order ends (deliver; plus allocate for an order that never called
   * a provider: a cache hit, out of stock) and hands `onTerminal` the terminal view with the time
   * its reply has been served. That time is known at once (FIFO) and nothing in the core waits for
   * it, so it costs no event: the caller books the order in the window of `doneAt`. An order the
   * primary forwarded was answered by the backup, which paid for the reply.
   */
  listener(
    cluster: ClusterName,
    arrivedAt: number,
    onTerminal: (view: OrderView, arrivedAt: number, doneAt: number) => void,
  ): (view: OrderView) => void {
    const p = this.processors[cluster];
    const reply = this.costs.deliver;
    const unallocated = reply + this.costs.allocate;
    const count = this.costs.waitPerSecond > 0;
    const waiting = this.waiting;
    let isWaiting = false;
    return (view) => {
      const state = view.state;
      const forwarded = cluster === "primary" && view.lane === "overflow";
      if (count) {
        const w = (state === "QUEUED" || state === "RETRYING") && !forwarded;
        if (w !== isWaiting) {
          waiting[cluster] += w ? 1 : -1;
          isWaiting = w;
        }
      }
      if (!TERMINAL_STATES.has(state)) return;
      if (state === "REJECTED" || forwarded) onTerminal(view, arrivedAt, this.env.now());
      else onTerminal(view, arrivedAt, p.enqueue(view.providerId === null ? unallocated : reply));
    };
  }

  /** Busy processor time / capacity of each cluster in the window [t0, t0 + lengthMs). */
  utilisation(t0: number, lengthMs: number): Record<ClusterName, number> {
    return {
      primary: this.processors.primary.utilisation(t0, lengthMs),
      backup: this.processors.backup.utilisation(t0, lengthMs),
    };
  }

  /** Every slice, the slice's waiting CPU, spread over the cluster's processors like many small timers. */
  private chargeWaitingUntil(endMs: number): void {
    const perOrder = (this.costs.waitPerSecond * WAIT_SLICE_MS) / 1000;
    const tick = () => {
      for (const cluster of ["primary", "backup"] as const) {
        const n = this.waiting[cluster];
        if (n === 0) continue;
        const p = this.processors[cluster];
        const share = (n * perOrder) / p.count;
        for (let i = 0; i < p.count; i++) p.run(share);
      }
      if (this.env.now() + WAIT_SLICE_MS < endMs) this.env.schedule(WAIT_SLICE_MS, tick);
    };
    this.env.schedule(WAIT_SLICE_MS, tick);
  }
}
