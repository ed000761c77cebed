// The cluster CPU model: each cluster's processors serve CPU demand, and an order does not take its
// next step until its stage's CPU has been served, so a saturated CPU slows orders down (issue 13).
// Utilisation is CPU time over the machine's cores, from the same model (a live server's CPU is a share
// of its machine's cores too: load/series.ts).
//
// Processors and cores: `processors` are the event loops that run dispatch work (a Node server is one),
// `cores` the machine's. Capacity is min(processors, cores) processor-seconds per second, as
// ceil(capacity) processors each at capacity / ceil(capacity) speed (so `1.5` is a 1.5-CPU quota).
// Without `processors`, a cluster has one per core (one single-loop instance per core).
//
// Discipline: one FIFO queue in front of the processors, each job run to completion on the first
// processor free (M/G/c first-come first-served), not processor sharing. A Node server is an event
// loop: a callback runs to completion and ready callbacks run in the order they became ready, which
// is FIFO and non-preemptive; a job's finish time is known when it arrives, so a job costs one
// scheduled event.
//
// What each stage costs, and where the order waits for it (scenarios/README.md, "CPU"):
// - accept: before the core sees the order (on the backup: after the hop, before its submit);
// - allocate + issue: before each provider call, as one job (with a synchronous store the claim and
//   the call are one run of the event loop); a retry's call adds `retry`, a probe pays issue only,
//   cache pre-issue pays both; an order that never calls a provider (a cache hit, out of stock) pays
//   allocate with its reply;
// - answers: a provider's, the risk service's and the notification service's answer reaches the core
//   once the loop has served the work queued before it (no CPU of its own: the stages hold it). The core
//   times the call, and judges the service's health, by that later instant, as a live server does: on a
//   loop that has fallen behind, a service answering in 15 ms reads slower than its slow-call limit;
// - deliver: after a DELIVERED or FAILED order leaves the core, before its client sees the reply
//   (booked at once: nothing in the core waits for it, so it costs no event);
// - waitPerSecond: background demand from orders queued or in retry backoff, in 10 ms slices;
// - cpuCurve (a calibration's measured CPU per order against the rate): the stage costs are scaled so
//   their sum is the curve's event-loop figure at the cluster's arrival rate over the last second, and
//   each ms of it books the process's CPU at that rate (its other threads: garbage collection, the
//   thread pool, work beside the loop, not in front of the orders). Per-order CPU falls as the rate
//   rises, because an event loop's wake-ups and socket writes serve the orders around them together;
// - loopWake (a calibration's loop-turn fit, workflows/calibrate-turns.ts): the loop goes round in turns,
//   as a Node loop does. The stage costs sum to the fit's orderMs at every rate, and each turn pays wakeMs
//   before its work: work arriving at an idle processor begins a turn; work arriving while a turn runs waits
//   for the next, which begins when the queued work is done and pays once for all that arrived before it;
//   work a job's `then` hands on, and an answer read in a turn already due, pay nothing. A busy loop's turns
//   serve many orders each, so its busy time per order falls with the load as the live one's does (7 turns
//   an order at 200/s, 0.45 at 1,200/s on the SQLite store). Without it the curve's busy time per order at the
//   current rate is charged to every order, which queued orders as if the loop were saturated from 60% of
//   the knee, where the live one, as busy, still served each order within a few turns;
// - pauses (a calibration's garbage-collection pauses per order and their mean length, on the curve's
//   points): the event loop stops for each, so they are booked as whole jobs of that length, one each
//   time the orders that arrived since the last add up to one pause, and taken off the orders' own
//   loop cost (utilisation is unchanged). Orders behind a pause wait for all of it: at a loop 90% busy a
//   35 ms pause leaves a backlog that takes several hundred ms to clear, where the same time spread
//   over the orders costs each a fraction of a millisecond (README, "How far to trust the simulator").
//   With the curve's pauseCv each pause's length is drawn around the mean (lognormal, that spread): a
//   backlog grows with a pause's square, so long pauses among short ones queue orders more than pauses
//   of one length with the same mean (the server's scavenges here run 5-140 ms around ~50);
// - colocatedMsPerOrder: the load driver's and the provider farm's CPU on the primary's machine (a
//   local run). They run in their own processes, so they are not jobs on the server's event loop; the
//   cores they take at the current rate are not there for it: the primary's capacity is
//   min(processors, (cores - their cores) / the process's CPU per ms of loop work), never below a tenth
//   of its own.
// A zero cost is no job at all: the order goes on in the same instant, exactly as without the model.

import type { ClusterSpec } from "../../scenarios/schema.ts";
import type { Environment, RandomStream } from "../../server/core/env.ts";
import type { IssueOutcome, NotifyPort, ProviderPort, RiskPort } from "../../server/core/ports.ts";
import { type ClusterName, type OrderView, TERMINAL_STATES } from "../../server/core/types.ts";
import { lognormal } from "../kernel/distributions.ts";

/** Waiting orders' CPU is charged in slices of this length (short against a window, long against a job). */
const WAIT_SLICE_MS = 10;

/** The arrival rate behind the CPU curve and the colocated share: arrivals over the last second. */
const RATE_SPAN_MS = 1000;
const RATE_BUCKET_MS = 100;

/** A colocated load leaves the primary at least this share of its own capacity. */
const MIN_CAPACITY_SHARE = 0.1;

/** One cluster's processors: FIFO jobs, CPU time booked per window. */
export class Processors {
  /**
   * When each processor finishes the work it has been given, as a binary min-heap: which processor
   * runs a job changes no time, so only the earliest free one (the root) matters.
   */
  private readonly freeAt: Float64Array;
  /** Processor-seconds per second the processors can give (min(processors, cores)). */
  private readonly capacity: number;
  private speed: number;
  /** CPU ms (busy time x speed) per window index (a job is split at window edges). */
  private readonly busy: number[] = [];
  /** Processor ms each turn of the loop pays before its work (the loop waking: calibrate-turns.ts). */
  private wakeMs = 0;
  /** How many turns the processors have begun (0 without a wake cost). */
  wakes = 0;
  /** When the latest turn begins (or began): work that arrives by then is served in it. */
  private turnAt = Number.NEGATIVE_INFINITY;
  /** Above 0 while a job's `then` runs: the work it hands on belongs to the same turn. */
  private handingOn = 0;

  constructor(
    private readonly env: Environment,
    processors: number,
    /** The machine's cores: utilisation is a share of them. */
    private readonly cores: number,
    private readonly windowMs: number,
    /** The run's end: work after it is in no window (the last window may be short). */
    private readonly endMs = Number.POSITIVE_INFINITY,
  ) {
    this.capacity = Math.min(processors, cores);
    const n = Math.max(1, Math.ceil(this.capacity));
    this.freeAt = new Float64Array(n);
    this.speed = this.capacity / n;
  }

  /** Each turn of the loop pays `ms` of processor time before its work (0: no turns, as without the fit). */
  setWakeMs(ms: number): void {
    this.wakeMs = ms;
  }

  get count(): number {
    return this.freeAt.length;
  }

  /**
   * What other processes on the machine leave of it (cores): capacity becomes min(own, available),
   * never below a tenth of its own. Jobs queued after the call run at the new speed.
   */
  setAvailableCores(available: number): void {
    const c = Math.max(this.capacity * MIN_CAPACITY_SHARE, Math.min(this.capacity, available));
    this.speed = c / this.freeAt.length;
  }

  /**
   * Queues `costMs` of CPU work; `then` runs when it has been served. Zero work runs `then` now.
   * Without `then` the work is background demand: it only keeps a processor busy.
   */
  run(costMs: number, then?: () => void, weight = 1, wakes = true): void {
    if (costMs <= 0) {
      then?.();
      return;
    }
    const finish = this.enqueue(costMs, weight, wakes);
    if (then !== undefined) this.env.schedule(finish - this.env.now(), this.inTurn(then));
  }

  /**
   * `then` runs when the processors have served the work queued before it (FIFO, no work of its own):
   * at once when one is free. An answer from outside waits here for the event loop to read it. With a wake
   * cost, an answer that needs a turn of its own (the loop idle, or busy with a turn begun before it arrived)
   * is read after that turn's wake.
   */
  after(then: () => void, weight = 1): void {
    const wake = this.turnCost(true);
    if (wake > 0) {
      const finish = this.enqueueWork(wake, weight);
      this.env.schedule(finish - this.env.now(), this.inTurn(then));
      return;
    }
    const wait = this.freeAt[0]! - this.env.now();
    if (wait > 0) this.env.schedule(wait, this.inTurn(then));
    else this.inTurn(then)();
  }

  /** `then`, run as part of the turn that served it: what it queues joins that turn. */
  private inTurn(then: () => void): () => void {
    if (this.wakeMs <= 0) return then;
    return () => {
      this.handingOn++;
      try {
        then();
      } finally {
        this.handingOn--;
      }
    };
  }

  /**
   * The wake cost that work arriving now pays (0 or wakeMs), and the turn it is served in. The loop goes round
   * as a Node one does: a turn serves what was ready when it began. Work arriving at an idle processor begins
   * a turn now; work arriving while a turn runs waits for the next, which begins when the queued work is done
   * and pays the wake once for everything that arrived before it began; work a job's `then` hands on, and work
   * that wakes nothing an order waits on (`wakes` false: a pause, a timer's slice), pays nothing.
   */
  private turnCost(wakes: boolean): number {
    if (!wakes || this.wakeMs <= 0 || this.handingOn > 0) return 0;
    const now = this.env.now();
    const freeAt = this.freeAt[0]!;
    if (freeAt < now) this.turnAt = now;
    else if (this.turnAt < now) this.turnAt = freeAt;
    else return 0;
    this.wakes++;
    return this.wakeMs;
  }

  /**
   * Queues `costMs` of CPU work now and returns when it will have been served (no event). `weight`: CPU
   * booked per ms of processor work (above 1 when the process's other threads work alongside it). `wakes`:
   * work that begins a turn pays its wake first (turnCost; false: a pause or a timer's slice, which wakes
   * nothing an order waits on).
   */
  enqueue(costMs: number, weight = 1, wakes = true): number {
    if (costMs <= 0) return this.env.now();
    return this.enqueueWork(costMs + this.turnCost(wakes), weight);
  }

  private enqueueWork(cost: number, weight: number): number {
    const now = this.env.now();
    const heap = this.freeAt;
    const start = Math.max(heap[0]!, now);
    const finish = start + cost / this.speed;
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
    this.book(start, finish, weight);
    return finish;
  }

  private book(start: number, finish: number, weight: number): void {
    const w = this.windowMs;
    const busy = this.busy;
    const end = Math.min(finish, this.endMs);
    const speed = this.speed * weight;
    let t = start;
    let i = Math.floor(t / w);
    while (t < end) {
      const edge = Math.min(end, (i + 1) * w);
      while (busy.length <= i) busy.push(0);
      busy[i]! += (edge - t) * speed;
      t = edge;
      i++;
    }
  }

  /** CPU time / the machine's cores in the window [t0, t0 + lengthMs). */
  utilisation(t0: number, lengthMs: number): number {
    const busy = this.busy[Math.round(t0 / this.windowMs)] ?? 0;
    return busy / (lengthMs * this.cores);
  }
}

/** Arrivals over the last second, in 100 ms buckets (virtual time). */
class RecentRate {
  private readonly buckets = new Float64Array(RATE_SPAN_MS / RATE_BUCKET_MS);
  private index = 0;
  private sum = 0;
  /** The rate as of the last arrival (0 before the first). */
  last = 0;

  constructor(private readonly env: Environment) {}

  /** Counts one arrival now and returns arrivals per second over the last second, this one included. */
  arrive(): number {
    const i = Math.floor(this.env.now() / RATE_BUCKET_MS);
    const b = this.buckets;
    // Empty the buckets the clock has passed since the last arrival (all of them after a second's gap).
    for (let k = this.index + 1; k <= i && k <= this.index + b.length; k++) {
      const slot = k % b.length;
      this.sum -= b[slot]!;
      b[slot] = 0;
    }
    if (i > this.index) this.index = i;
    b[i % b.length]! += 1;
    this.sum += 1;
    // The buckets hold the current one's part and the nine before it (or all since the start).
    const now = this.env.now();
    const span = Math.min(now, RATE_SPAN_MS - RATE_BUCKET_MS + (now - i * RATE_BUCKET_MS));
    this.last = (this.sum * 1000) / Math.max(RATE_BUCKET_MS, span);
    return this.last;
  }
}

type CpuCurve = NonNullable<ClusterSpec["cpuCurve"]>;

type CurvePoint = CpuCurve[number];

/** The process's CPU per order at a point (what utilisation counts). */
const processMs = (p: CurvePoint) => p.msPerOrder;
/** Its event loop's busy ms per order at a point (what the processors serve); default all of it. */
const loopMs = (p: CurvePoint) => p.loopMsPerOrder ?? p.msPerOrder;

/**
 * Server CPU ms per order at `rate` from a measured curve (`ms` picks the process's or the event loop's
 * figure): the total per second is interpolated linearly between the measured rates; below the first,
 * the first rate's cost per order; above the last, the total grows by the least-squares slope of total
 * on rate over all points (the marginal cost of an order), or the last cost per order when the points
 * give no positive slope.
 */
export function curveMsPerOrder(
  curve: CpuCurve,
  rate: number,
  ms: (p: CurvePoint) => number = processMs,
): number {
  return curveFunction(curve, ms)(rate);
}

/**
 * `curveMsPerOrder` as a function of the rate, with the marginal slope worked out once: the simulator
 * asks it at every arrival.
 */
function curveFunction(curve: CpuCurve, ms: (p: CurvePoint) => number): (rate: number) => number {
  const first = curve[0]!;
  const last = curve.at(-1)!;
  const slope = marginalMs(curve, ms);
  return (rate) => {
    if (rate <= first.rate) return ms(first);
    const s = segment(curve, rate);
    if (s !== undefined) {
      const ta = s.a.rate * ms(s.a);
      return (ta + (s.b.rate * ms(s.b) - ta) * s.f) / rate;
    }
    if (!(slope > 0)) return ms(last);
    return (last.rate * ms(last) + slope * (rate - last.rate)) / rate;
  };
}

/** The measured points either side of `rate` and how far along it lies, or undefined beyond the curve's ends. */
function segment(curve: CpuCurve, rate: number): { a: CurvePoint; b: CurvePoint; f: number } | undefined {
  for (let i = 1; i < curve.length; i++) {
    const a = curve[i - 1]!;
    const b = curve[i]!;
    if (rate >= a.rate && rate <= b.rate) return { a, b, f: (rate - a.rate) / (b.rate - a.rate) };
  }
  return undefined;
}

/** Least-squares slope of total CPU (ms/s) on rate: the marginal CPU ms of one more order per second. */
function marginalMs(curve: CpuCurve, ms: (p: CurvePoint) => number): number {
  const n = curve.length;
  if (n < 2) return 0;
  let sx = 0;
  let sy = 0;
  for (const p of curve) {
    sx += p.rate;
    sy += p.rate * ms(p);
  }
  const mx = sx / n;
  const my = sy / n;
  let num = 0;
  let den = 0;
  for (const p of curve) {
    num += (p.rate - mx) * (p.rate * ms(p) - my);
    den += (p.rate - mx) ** 2;
  }
  return den > 0 ? num / den : 0;
}

interface Pause {
  perOrder: number;
  ms: number;
  /** The lengths' standard deviation over their mean (0: all `ms` long). */
  cv: number;
}

/**
 * Pauses per order, their mean length and spread at a rate, from a curve whose every point has them (else
 * undefined; a spread only when every point has one, else 0): pauses per second, the mean length and the
 * spread are interpolated linearly between the measured rates and held beyond them (per order below the
 * first, per order, length and spread above the last).
 */
function pauseFunction(curve: CpuCurve): ((rate: number) => Pause) | undefined {
  if (!curve.every((p) => p.pausesPerOrder !== undefined && p.pauseMs !== undefined)) return undefined;
  const spread = curve.every((p) => p.pauseCv !== undefined);
  const at = (p: CurvePoint): Pause => ({
    perOrder: p.pausesPerOrder as number,
    ms: p.pauseMs as number,
    cv: spread ? (p.pauseCv as number) : 0,
  });
  const first = curve[0]!;
  const last = curve.at(-1)!;
  return (rate) => {
    if (rate <= first.rate) return at(first);
    const s = segment(curve, rate);
    if (s === undefined) return at(last);
    const [a, b] = [at(s.a), at(s.b)];
    const perSecond = s.a.rate * a.perOrder + s.f * (s.b.rate * b.perOrder - s.a.rate * a.perOrder);
    return { perOrder: perSecond / rate, ms: a.ms + s.f * (b.ms - a.ms), cv: a.cv + s.f * (b.cv - a.cv) };
  };
}

/**
 * One pause's length: `mean` itself without a spread, else a draw from the lognormal with that mean and
 * coefficient of variation (sigma² = ln(1 + cv²), mu = ln(mean) - sigma²/2), from the run's own stream.
 */
export function pauseLength(mean: number, cv: number, random: RandomStream): number {
  if (cv <= 0) return mean;
  const sigma2 = Math.log(1 + cv * cv);
  return lognormal(Math.log(mean) - sigma2 / 2, Math.sqrt(sigma2)).sample(random);
}

export class CpuModel {
  private readonly processors: Record<ClusterName, Processors>;
  private readonly costs: ClusterSpec["cpuCostMs"];
  private readonly colocatedMs: number;
  private readonly cores: number;
  /** The measured curve's process and event-loop CPU per order at a rate (absent: fixed stage costs). */
  /** The measured curve at a rate: the process's and the loop's CPU per order, and the loop's pauses (if measured). */
  private readonly curve:
    | {
        process: (rate: number) => number;
        loop: (rate: number) => number;
        pauses: ((rate: number) => Pause) | undefined;
      }
    | undefined;
  /** accept + allocate + issue + deliver: what the curve's per-order CPU is split over. */
  private readonly perOrder: number;
  /** Each cluster's arrivals over the last second: the curve's rate, the colocated share's, services'. */
  private readonly rates: Record<ClusterName, RecentRate>;
  /** The stage costs' multiplier at each cluster's current rate (1 without a curve): event-loop work. */
  private readonly scale: Record<ClusterName, number> = { primary: 1, backup: 1 };
  /** CPU booked per ms of event-loop work at each cluster's current rate (the process's other threads). */
  private readonly weight: Record<ClusterName, number> = { primary: 1, backup: 1 };
  /** Orders QUEUED or RETRYING per cluster (only counted when waiting costs CPU). */
  private readonly waiting: Record<ClusterName, number> = { primary: 0, backup: 0 };
  /** Loop ms an order costs beyond its wakes (the loop-turn fit), or undefined: the curve's figure at the rate. */
  private readonly orderLoopMs: number | undefined;
  /** Pauses the arrivals since the last one have run up (one is booked each time this reaches 1). */
  private readonly pauseDebt: Record<ClusterName, number> = { primary: 0, backup: 0 };

  constructor(
    private readonly env: Environment,
    cluster: ClusterSpec,
    windowMs: number,
    endMs: number,
  ) {
    const node = (n: ClusterSpec["primary"]) =>
      new Processors(env, n.processors ?? n.cores, n.cores, windowMs, endMs);
    this.processors = { primary: node(cluster.primary), backup: node(cluster.backup) };
    this.costs = cluster.cpuCostMs;
    this.colocatedMs = cluster.colocatedMsPerOrder;
    this.cores = cluster.primary.cores;
    const c = this.costs;
    this.perOrder = c.accept + c.allocate + c.issue + c.deliver;
    // A curve needs stage costs to scale; with all of them 0 there is nothing to split it over.
    this.curve =
      cluster.cpuCurve !== undefined && this.perOrder > 0
        ? {
            process: curveFunction(cluster.cpuCurve, processMs),
            loop: curveFunction(cluster.cpuCurve, loopMs),
            pauses: pauseFunction(cluster.cpuCurve),
          }
        : undefined;
    this.rates = { primary: new RecentRate(env), backup: new RecentRate(env) };
    this.orderLoopMs = this.curve === undefined ? undefined : cluster.loopWake?.orderMs;
    if (this.orderLoopMs !== undefined) {
      const wake = cluster.loopWake?.wakeMs ?? 0;
      this.processors.primary.setWakeMs(wake);
      this.processors.backup.setWakeMs(wake);
      // Until the first arrival moves it (the stage costs' sum at every rate).
      this.scale.primary = this.scale.backup = this.orderLoopMs / this.perOrder;
    }
    if (this.costs.waitPerSecond > 0) this.chargeWaitingUntil(endMs);
  }

  /** A new order reaches the primary: `submit` after accept. */
  arrive(submit: () => void): void {
    this.arrived("primary");
    this.processors.primary.run(this.cost("primary", this.costs.accept), submit, this.weight.primary);
  }

  /** A forwarded order reaches the backup: `submit` after accept. */
  acceptAt(cluster: ClusterName, submit: () => void): void {
    this.arrived(cluster);
    this.processors[cluster].run(this.cost(cluster, this.costs.accept), submit, this.weight[cluster]);
  }

  /** The rate behind the curve, the colocated share and rate-measured latencies moves with each arrival. */
  private arrived(cluster: ClusterName): void {
    const rate = this.rates[cluster].arrive();
    if (this.curve !== undefined) {
      const loop = this.curve.loop(rate);
      this.weight[cluster] = loop > 0 ? Math.max(1, this.curve.process(rate) / loop) : 1;
      const pause = this.curve.pauses?.(rate);
      // The pauses' share of the loop is booked as pauses, not spread over the orders' stages.
      const paused = pause === undefined ? 0 : Math.min(loop, pause.perOrder * pause.ms);
      // With the loop-turn fit an order's own work is the same at every rate (pauses apart already): what
      // falls with the rate is the wakes, which the processors charge as the load leaves them idle.
      this.scale[cluster] = (this.orderLoopMs ?? loop - paused) / this.perOrder;
      if (pause !== undefined && pause.ms > 0) {
        this.pauseDebt[cluster] += pause.perOrder;
        if (this.pauseDebt[cluster] >= 1) {
          this.pauseDebt[cluster] -= 1;
          // A stream of the run's own (the environment keeps it by name): no other draw moves.
          const ms = pauseLength(pause.ms, pause.cv, this.env.random("gc-pauses"));
          this.processors[cluster].run(ms, undefined, this.weight[cluster], false);
        }
      }
    }
    if (cluster === "primary" && this.colocatedMs > 0) {
      // The machine's cores left after the driver and the farm, shared by the loop and the process's
      // other threads: each ms of loop work takes `weight` ms of them.
      const left = this.cores - (this.colocatedMs * rate) / 1000;
      this.processors.primary.setAvailableCores(left / this.weight.primary);
    }
  }

  /** `cluster`'s arrivals per second over the last second, as of its latest arrival. */
  rate(cluster: ClusterName): number {
    return this.rates[cluster].last;
  }

  private cost(cluster: ClusterName, ms: number): number {
    return ms * this.scale[cluster];
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
        const answered = (outcome: IssueOutcome) => p.after(() => done(outcome), this.weight[cluster]);
        p.run(this.cost(cluster, cost), () => port.issue(request, answered), this.weight[cluster]);
      },
    };
  }

  /**
   * The risk and notification services as `cluster`'s core sees them: an answer waits for the event
   * loop to get to it (the work queued before it), as a provider's does. Their CPU is in the stages'
   * (the curve's per-order figure holds it). Without CPU costs the ports are returned as they are.
   */
  risk(cluster: ClusterName, port: RiskPort): RiskPort {
    if (this.perOrder <= 0) return port;
    const p = this.processors[cluster];
    return {
      check: (request, done) =>
        port.check(request, (outcome) => p.after(() => done(outcome), this.weight[cluster])),
    };
  }

  notify(cluster: ClusterName, port: NotifyPort): NotifyPort {
    if (this.perOrder <= 0) return port;
    const p = this.processors[cluster];
    return {
      send: (request, done) =>
        port.send(request, (outcome) => p.after(() => done(outcome), this.weight[cluster])),
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
      else {
        const ms = view.providerId === null ? unallocated : reply;
        onTerminal(view, arrivedAt, p.enqueue(this.cost(cluster, ms), this.weight[cluster]));
      }
    };
  }

  /** CPU time / the machine's cores of each cluster in the window [t0, t0 + lengthMs). */
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
        for (let i = 0; i < p.count; i++) p.run(share, undefined, 1, false);
      }
      if (this.env.now() + WAIT_SLICE_MS < endMs) this.env.schedule(WAIT_SLICE_MS, tick);
    };
    this.env.schedule(WAIT_SLICE_MS, tick);
  }
}
