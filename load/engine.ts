// One thread's share of a load run: the timer loop, the gRPC calls and the HDR recording.
// Open model (arrival-rate and replay executors): load/open-loop.ts sends every due iteration per wake-up
// and sleeps until the next one, always against absolute intended times (no accumulated drift). Latency
// runs from the INTENDED start, so a server stall or a late driver shows up in the percentiles (no
// coordinated omission). A send counts in the window of the instant it is handed to the connection, so the
// per-window sent counts show the driver's real timing; one sent after its due window closed is counted
// `late` as well (still sent). An iteration due while maxVUs requests are in flight is counted as dropped.
import { type EventLoopUtilization, performance } from "node:perf_hooks";
import { status } from "@grpc/grpc-js";
import { OrderState } from "../proto/gen/rushhour/v1/common.ts";
import {
  DispatchServiceService,
  SubmitOrderRequest,
  SubmitOrderResponse,
} from "../proto/gen/rushhour/v1/dispatch.ts";
import { LatencyHistogram } from "../results/histogram.ts";
import { recordStages } from "../results/stages.ts";
import { type ExecutorInput, planFor, vusAt } from "../traffic/executors/index.ts";
import type { ClosedPlan, OpenPlan } from "../traffic/executors/types.ts";
import { splitCount } from "../traffic/segment.ts";
import { type LoopHost, OpenLoop } from "./open-loop.ts";
import { partPath, SentOrderPart } from "./record.ts";
import { type MixSpec, RequestMix, replayRequest } from "./request-mix.ts";
import { type ClientTls, type UnaryCall, UnaryChannel } from "./unary-channel.ts";
import { type Counts, type FinalReport, type WindowReport, zeroCounts } from "./window-stats.ts";

export interface EngineSpec {
  /** Validated (again) in each thread by planFor. */
  executor: ExecutorInput;
  /** This engine runs iterations (and VUs) i with i % of === index. */
  share: { index: number; of: number };
  /** HOST:PORT list; iteration i goes to targets[i % targets.length]. */
  targets: string[];
  windowMs: number;
  /** gRPC deadline of each call, counted from its intended start. */
  requestTimeoutMs: number;
  mix: MixSpec;
  /** gRPC channels per target (each its own TCP connection). Default 1. */
  channelsPerTarget?: number;
  /**
   * When a call fails UNAVAILABLE (its instance is down), send the same order (same idempotency key) to
   * the next target, as a load balancer would; its latency still runs from the intended start. Off by
   * default (k6 does not do this); topology runs (load/topology.ts) turn it on.
   */
  failover?: boolean;
  /** TLS to the targets, trusting this PEM CA (serve --tls-cert). */
  tls?: ClientTls;
  /** Client bearer token sent with every order (serve --client-tokens). */
  clientToken?: string;
  /** load --record: this engine appends the orders it sends to partPath(record, share.index) (load/record.ts). */
  record?: string;
  /**
   * load --trace: every order carries a W3C traceparent whose trace id is this run's 16-hex prefix and the
   * iteration number (traceIdOf), so the run's slowest orders can be found in the server's traces.
   */
  traceRunId?: string;
}

/** The trace id load --trace gives iteration `i` of a run: the run's prefix and i, 32 hex digits. */
export function traceIdOf(runId: string, i: number): string {
  return `${runId}${i.toString(16).padStart(16, "0")}`;
}

/** How many of the slowest delivered orders an engine reports (load --trace). */
const SLOWEST = 10;

export interface EngineSink {
  window(report: WindowReport): void;
}

interface OpenWindow {
  counts: Counts;
  latency: LatencyHistogram;
  maxSendLagMs: number;
}

const LANES: Record<number, string> = { 1: "vip", 2: "default", 3: "overflow" };
const SUBMIT_PATH = DispatchServiceService.submitOrder.path;
/** grpc.health.v1's Check with an empty request (every service): the warm-up's call. */
const HEALTH_CHECK_PATH = "/grpc.health.v1.Health/Check";
const EMPTY = new Uint8Array(0);
/** Warm-up calls per channel before the start, in batches of WARM_UP_BATCH at a time. */
const WARM_UP_CALLS = 1000;
const WARM_UP_BATCH = 50;

export class LoadEngine {
  private readonly plan;
  private readonly mix: RequestMix;
  private readonly clients: UnaryChannel[] = [];
  /** The shared start instant on this thread's performance.now() clock (set by start()). */
  private t0 = Number.POSITIVE_INFINITY;
  private startAtEpochMs = 0;
  private readonly maxInFlight: number;
  private readonly calls = new Set<UnaryCall>();
  private readonly windows = new Map<number, OpenWindow>();
  private readonly total = zeroCounts();
  private readonly overall = LatencyHistogram.create();
  private readonly slowest: { ms: number; iteration: number }[] = [];
  private readonly byLane: Record<string, LatencyHistogram> = {};
  private readonly byCohort: Record<string, LatencyHistogram> = {};
  /** Delivered orders' latency by stage, from the server's timings in each reply (results/stages.ts). */
  private readonly byStage = new Map<string, LatencyHistogram>();
  private readonly errorCodes: Record<string, number> = {};
  private readonly errorSamples: Record<string, string> = {};
  private flushed = 0;
  private inFlight = 0;
  private maxSendLagMs = 0;
  private readonly next: number;
  private openLoop: OpenLoop | null = null;
  private issuing = true;
  private aborted = false;
  private timers = new Set<NodeJS.Timeout>();
  private finish: ((r: FinalReport) => void) | null = null;
  private iterations = 0;
  private stepAt = 0;
  private readonly running: boolean[] = [];
  private loopAtStart: EventLoopUtilization | null = null;
  private readonly recorder: SentOrderPart | null;

  constructor(
    private readonly spec: EngineSpec,
    private readonly sink: EngineSink,
  ) {
    this.plan = planFor(spec.executor);
    this.mix = new RequestMix(spec.mix);
    this.recorder =
      spec.record === undefined ? null : new SentOrderPart(partPath(spec.record, spec.share.index));
    this.next = spec.share.index;
    this.maxInFlight =
      this.plan.model === "open"
        ? Math.max(1, splitCount(this.plan.maxVUs, spec.share))
        : Number.POSITIVE_INFINITY;
  }

  /** Milliseconds since the shared start (negative before it). */
  private now(): number {
    return performance.now() - this.t0;
  }

  private window(nowMs: number): OpenWindow {
    const index = Math.max(this.flushed, Math.floor(nowMs / this.spec.windowMs));
    let w = this.windows.get(index);
    if (w === undefined) {
      w = { counts: zeroCounts(), latency: LatencyHistogram.create(), maxSendLagMs: 0 };
      this.windows.set(index, w);
    }
    return w;
  }

  private later(delayMs: number, fn: () => void): void {
    const t = setTimeout(
      () => {
        this.timers.delete(t);
        fn();
      },
      Math.max(0, delayMs),
    );
    this.timers.add(t);
  }

  /** Opens the gRPC channels and waits (at most 10 s) until they are ready. */
  async connect(): Promise<void> {
    const channels = this.spec.channelsPerTarget ?? 1;
    for (let c = 0; c < channels; c++) {
      for (const target of this.spec.targets) {
        // Each channel is its own HTTP/2 connection. A lean client (load/unary-channel.ts) rather
        // than grpc-js: it halves the driver's CPU per call, which is what sets the reachable rate.
        this.clients.push(
          new UnaryChannel(target, {
            maxReconnectBackoffMs: 1000,
            tls: this.spec.tls,
            bearerToken: this.spec.clientToken,
          }),
        );
      }
    }
    // Connecting before the start keeps the handshake out of the first latencies; a target that is
    // down is not an engine error: its calls will fail and be counted.
    await Promise.all(this.clients.map((client) => client.waitForReady(10_000)));
    await this.warmUp();
    // The first start time before the start, too: a replay reads its log up to its first order here
    // (skipping what lies before a `from` slice took seconds inside the run, sending the first orders late).
    if (this.plan.model === "open" && this.next < this.plan.count) this.plan.startTimeMs(this.next);
  }

  /**
   * Runs the call path hot before the start, so the first second's sends are not made by cold code (a
   * fresh engine compiles its hot paths in its first thousand calls: shards starting together on one
   * machine sent their first second up to 100 ms late). WARM_UP_CALLS health checks go to each channel,
   * answered SERVING, UNIMPLEMENTED or UNAUTHENTICATED alike: they are not orders and count nowhere.
   * The request path (the mix and the encoder) is run without sending.
   */
  private async warmUp(): Promise<void> {
    for (let i = 0; i < WARM_UP_CALLS; i++) SubmitOrderRequest.encode(this.mix.request(i)).finish();
    const deadline = performance.timeOrigin + performance.now() + 10_000;
    for (let round = 0; round < WARM_UP_CALLS / WARM_UP_BATCH; round++) {
      await Promise.all(
        this.clients.flatMap((client) =>
          Array.from(
            { length: WARM_UP_BATCH },
            () => new Promise<void>((done) => client.call(HEALTH_CHECK_PATH, EMPTY, deadline, () => done())),
          ),
        ),
      );
    }
  }

  /**
   * Runs the plan from the shared start instant (performance.timeOrigin + performance.now(), the same
   * clock in every thread); resolves with this engine's totals. Call connect() first.
   */
  start(startAtEpochMs: number): Promise<FinalReport> {
    this.startAtEpochMs = startAtEpochMs;
    this.t0 = startAtEpochMs - performance.timeOrigin;
    this.loopAtStart = performance.eventLoopUtilization();
    return new Promise<FinalReport>((resolve) => {
      this.finish = resolve;
      if (this.aborted) {
        this.maybeDone();
        return;
      }
      this.scheduleFlush(0);
      if (this.plan.model === "open") this.startOpen(this.plan as OpenPlan);
      else this.startClosed(this.plan as ClosedPlan);
    });
  }

  /** Stops sending, cancels what is in flight (counted as interrupted) and finishes. */
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.issuing = false;
    this.openLoop?.stop();
    this.cancelAll();
    this.maybeDone();
  }

  /**
   * Closes window `index` once it has ended. A Node timer can fire a few ms early by this clock (it counts
   * from the event loop's cached time, which lags performance.now() by the current tick's work), and a
   * window closed early sends its last sends into the next one (a measured 1% shortfall in the second
   * before a replayed burst): so an early timer re-arms for what is left instead of flushing.
   */
  private scheduleFlush(index: number): void {
    const end = (index + 1) * this.spec.windowMs;
    this.later(end - this.now(), () => {
      if (this.now() < end) {
        this.scheduleFlush(index);
        return;
      }
      this.flushUpTo(index + 1);
      if (this.finish !== null) this.scheduleFlush(index + 1);
    });
  }

  /** Reports every window before `end` (exclusive). */
  private flushUpTo(end: number): void {
    for (let i = this.flushed; i < end; i++) {
      const w = this.windows.get(i);
      this.windows.delete(i);
      this.sink.window({
        index: i,
        counts: w?.counts ?? zeroCounts(),
        latency: w ? w.latency.encode() : "",
        maxSendLagMs: w?.maxSendLagMs ?? 0,
        inFlight: this.inFlight,
      });
    }
    this.flushed = Math.max(this.flushed, end);
  }

  private startOpen(plan: OpenPlan): void {
    const host: LoopHost = {
      now: () => this.now(),
      sleep: (ms, fn) => this.sleepOpen(ms, fn),
      yieldThen: (fn) => setImmediate(fn),
    };
    this.openLoop = new OpenLoop(
      plan,
      this.next,
      this.spec.share.of,
      host,
      (i, at) => this.fire(i, at),
      () => this.endIssuing(plan.durationMs, plan.gracefulStopMs),
    );
    this.openLoop.start();
  }

  /** The open loop's one timer, re-armed with refresh() when the delay repeats (no allocation). */
  private openTimer: NodeJS.Timeout | null = null;
  private openTimerMs = -1;
  private openTimerFn: (() => void) | null = null;

  private sleepOpen(ms: number, fn: () => void): void {
    if (this.openTimer !== null && ms === this.openTimerMs && fn === this.openTimerFn) {
      this.openTimer.refresh();
      return;
    }
    if (this.openTimer !== null) clearTimeout(this.openTimer);
    this.openTimerMs = ms;
    this.openTimerFn = fn;
    this.openTimer = setTimeout(fn, ms);
  }

  private endIssuing(durationMs: number, gracefulStopMs: number): void {
    if (!this.issuing) return;
    this.issuing = false;
    this.later(durationMs + gracefulStopMs - this.now(), () => this.cancelAll());
    this.maybeDone();
  }

  private cancelAll(): void {
    for (const call of [...this.calls]) call.cancel();
  }

  private maybeDone(): void {
    if (this.issuing || this.inFlight > 0 || this.finish === null) return;
    const finish = this.finish;
    this.finish = null;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.openTimer !== null) clearTimeout(this.openTimer);
    this.openTimer = null;
    // Every window holding data, too: a flush timer that fired a hair early has moved `flushed` past
    // the current time, and completions since went into that next window (clamped to `flushed`).
    let end = Math.floor(Math.max(0, this.now()) / this.spec.windowMs) + 1;
    for (const index of this.windows.keys()) end = Math.max(end, index + 1);
    this.flushUpTo(end);
    for (const c of this.clients) c.close();
    this.recorder?.close();
    const encode = (r: Record<string, LatencyHistogram>) =>
      Object.fromEntries(Object.entries(r).map(([k, h]) => [k, h.encode()]));
    finish({
      counts: this.total,
      overall: this.overall.encode(),
      byLane: encode(this.byLane),
      byCohort: encode(this.byCohort),
      byStage: encode(Object.fromEntries(this.byStage)),
      maxSendLagMs: this.maxSendLagMs,
      windows: this.flushed,
      errorCodes: this.errorCodes,
      errorSamples: this.errorSamples,
      loopUtilization:
        this.loopAtStart === null ? 0 : performance.eventLoopUtilization(this.loopAtStart).utilization,
      ...(this.spec.traceRunId !== undefined ? { slowest: this.slowest } : {}),
    });
  }

  /** Keeps the SLOWEST slowest delivered orders (load --trace), slowest first. */
  private noteSlow(ms: number, iteration: number): void {
    const s = this.slowest;
    if (s.length === SLOWEST && ms <= (s[s.length - 1] as { ms: number }).ms) return;
    let k = s.length;
    while (k > 0 && (s[k - 1] as { ms: number }).ms < ms) k--;
    s.splice(k, 0, { ms, iteration });
    if (s.length > SLOWEST) s.pop();
  }

  /** The window of a send at `now` due at `at`, with its lag noted (and the send counted late if it is). */
  private sendWindow(at: number, now: number): OpenWindow {
    const w = this.window(now);
    const lag = now - at;
    if (lag > w.maxSendLagMs) w.maxSendLagMs = lag;
    if (lag > this.maxSendLagMs) this.maxSendLagMs = lag;
    const size = this.spec.windowMs;
    if (this.plan.model === "open" && Math.floor(now / size) > Math.floor(at / size)) this.count(w, "late");
    return w;
  }

  private count(w: OpenWindow, key: keyof Counts): void {
    w.counts[key]++;
    this.total[key]++;
  }

  /**
   * Sends iteration `i` intended at `at` (ms since start). It counts in the window of the instant it is
   * handed to the connection (read after the request is built), and as late if that is past its due window.
   */
  private fire(i: number, at: number, onDone?: () => void): void {
    if (this.inFlight >= this.maxInFlight) {
      this.count(this.sendWindow(at, this.now()), "dropped");
      return;
    }
    this.inFlight++;
    // A replay's iteration i is the log's order i (its SKU and tier), not a draw from the mix.
    const order = this.plan.model === "open" ? this.plan.order?.(i) : undefined;
    const request = order ? replayRequest(order, this.spec.mix.keyPrefix, i) : this.mix.request(i);
    const vip = request.tier === 2;
    const deadline = this.startAtEpochMs + at + this.spec.requestTimeoutMs;
    const bytes = SubmitOrderRequest.encode(request).finish();
    this.recorder?.add(
      i,
      this.startAtEpochMs + at,
      request.sku,
      vip ? "vip" : "standard",
      request.idempotencyKey,
    );
    const runId = this.spec.traceRunId;
    // The span id is the iteration + 1 (an all-zero span id is invalid).
    const traceparent =
      runId === undefined ? null : `00-${traceIdOf(runId, i)}-${(i + 1).toString(16).padStart(16, "0")}-01`;
    this.count(this.sendWindow(at, this.now()), "started");
    const send = (k: number, failovers: number) => {
      const client = this.clients[k % this.clients.length] as UnaryChannel;
      const call = client.call(
        SUBMIT_PATH,
        bytes,
        deadline,
        (code, details, message) => {
          this.calls.delete(call);
          if (code === status.UNAVAILABLE && failovers > 0 && !this.aborted) {
            send(k + 1, failovers - 1);
            return;
          }
          this.inFlight--;
          this.complete(at, vip, code, details, message, i);
          onDone?.();
          this.maybeDone();
        },
        traceparent,
      );
      this.calls.add(call);
    };
    // Clients are ordered target by target within each channel, so k + 1 is another target.
    send(i, this.spec.failover ? this.spec.targets.length - 1 : 0);
  }

  private complete(
    at: number,
    vip: boolean,
    code: number,
    details: string,
    message: Buffer | null,
    iteration: number,
  ): void {
    const now = this.now();
    const w = this.window(now);
    let order: SubmitOrderResponse["order"];
    if (code === status.OK) {
      try {
        order = SubmitOrderResponse.decode(message as Buffer).order;
      } catch (e) {
        code = status.INTERNAL;
        details = `Response could not be decoded: ${(e as Error).message}`;
      }
    }
    if (code !== status.OK) {
      // CANCELLED is the driver's own doing (end of the drain, or an abort): counted as interrupted.
      if (code !== status.CANCELLED) {
        const name = status[code] ?? String(code);
        if (!(name in this.errorCodes)) this.errorSamples[name] = details || name;
        this.errorCodes[name] = (this.errorCodes[name] ?? 0) + 1;
      }
      if (code === status.RESOURCE_EXHAUSTED) this.count(w, "rejected");
      else if (code === status.CANCELLED) this.count(w, "interrupted");
      else {
        this.count(w, "failed");
        if (code === status.DEADLINE_EXCEEDED) this.count(w, "clientTimeouts");
      }
      return;
    }
    switch (order?.state) {
      case OrderState.ORDER_STATE_DELIVERED: {
        this.count(w, "delivered");
        const ms = now - at;
        w.latency.record(ms);
        this.overall.record(ms);
        if (this.spec.traceRunId !== undefined) this.noteSlow(ms, iteration);
        const lane = LANES[order.lane] ?? "unknown";
        recordInto(this.byLane, lane, ms);
        recordInto(this.byCohort, vip ? "vip" : "standard", ms);
        if (order.timings !== undefined) recordStages(this.byStage, ms, order.timings);
        return;
      }
      case OrderState.ORDER_STATE_FAILED:
        this.count(w, "failed");
        return;
      case OrderState.ORDER_STATE_REJECTED:
        this.count(w, "rejected");
        return;
      case OrderState.ORDER_STATE_DENIED:
        this.count(w, "denied");
        return;
      case OrderState.ORDER_STATE_REVIEW:
        this.count(w, "review");
        return;
      default:
        this.count(w, "unfinished");
    }
  }

  // Closed model: each VU loops iterations back to back; the VU count follows the plan's steps.
  private startClosed(plan: ClosedPlan): void {
    for (const step of plan.steps) this.later(step.atMs - this.now(), () => this.activate(plan, step.atMs));
    this.later(plan.durationMs - this.now(), () => this.endIssuing(plan.durationMs, plan.gracefulStopMs));
  }

  private mine(v: number): boolean {
    return v % this.spec.share.of === this.spec.share.index;
  }

  /**
   * The plan's clock: never before the latest step taken. A timer may fire a fraction of a millisecond
   * before its time on the performance clock, and a VU must not read the step before the one it was
   * started by.
   */
  private planNow(): number {
    return Math.max(this.now(), this.stepAt);
  }

  private activate(plan: ClosedPlan, atMs: number): void {
    this.stepAt = Math.max(this.stepAt, atMs);
    const vus = vusAt(plan, this.planNow());
    for (let v = 0; v < vus; v++) {
      if (this.mine(v) && !this.running[v]) {
        this.running[v] = true;
        this.vuLoop(plan, v);
      }
    }
  }

  private vuLoop(plan: ClosedPlan, v: number): void {
    if (!this.issuing || v >= vusAt(plan, this.planNow())) {
      this.running[v] = false;
      return;
    }
    // Iteration numbers stay unique across engines: this engine's k-th iteration is k * of + index.
    const i = this.iterations++ * this.spec.share.of + this.spec.share.index;
    this.fire(i, this.now(), () => setImmediate(() => this.vuLoop(plan, v)));
  }
}

function recordInto(into: Record<string, LatencyHistogram>, key: string, ms: number): void {
  const h = into[key] ?? LatencyHistogram.create();
  into[key] = h;
  h.record(ms);
}
