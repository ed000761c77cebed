// OpenTelemetry traces of orders (serve --otlp URL, or OTEL_EXPORTER_OTLP_ENDPOINT): one trace per order, a
// SubmitOrder span with a child per stage it went through (queueing in its lane, card allocation, each
// provider attempt with its provider, outcome and attempt number, retry backoff, the hop to the backup),
// built from the core's state changes as they happen. W3C traceparent travels in gRPC metadata: read from
// the client's SubmitOrder, written on the overflow call to the backup and on remote provider calls, so the
// backup's and a farm's spans join the same trace.
//
// Sampling: a share of orders by trace id (`ratio`, following a sampled parent), and every failed or slow
// order whatever its share. An unsampled order costs little: its spans do not record (they only carry ids
// for propagation) and its stages are noted in a small list; when it ends failed or slow, its spans are
// written then, with the very ids it propagated (so the backup's and farms' spans still hang under them).
// Off by default; when off no tracer exists and the order path makes no call into this file.
import {
  type Context,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-grpc";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOnSampler,
  BatchSpanProcessor,
  type IdGenerator,
  ParentBasedSampler,
  RandomIdGenerator,
  type SpanExporter,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import type { OrderState, OrderView } from "./core/types.ts";

export interface TracingOptions {
  /** OTLP/gRPC endpoint (http://host:4317); ignored when `exporter` is given. */
  endpoint?: string;
  /** Exporter to use instead of OTLP (tests use the SDK's in-memory exporter). */
  exporter?: SpanExporter;
  /** Share of orders traced by trace id, 0..1 (default 1). */
  ratio?: number;
  /** Orders at least this slow (ms) are always traced (default 1000). */
  slowMs?: number;
  /** service.name of the resource (default "rushhour"). */
  serviceName?: string;
}

/** Reads and writes W3C trace context from/to a carrier such as gRPC Metadata. */
export interface TraceCarrier {
  get(key: string): unknown[];
  set(key: string, value: string): void;
}

/** Random ids, except while primed (to write a noted span with the id it had when it was propagated). */
class PrimableIds implements IdGenerator {
  private readonly random = new RandomIdGenerator();
  traceId: string | null = null;
  spanId: string | null = null;

  generateTraceId(): string {
    return this.traceId ?? this.random.generateTraceId();
  }

  generateSpanId(): string {
    return this.spanId ?? this.random.generateSpanId();
  }
}

/** A stage of an unsampled order, noted in case the order ends failed or slow. */
interface NotedStage {
  name: string;
  kind: SpanKind;
  spanId: string;
  start: number;
  end: number;
  attributes: Record<string, string | number>;
  error: string | null;
}

interface OrderSpans {
  orderId: string;
  root: Span;
  /** The client's context the root hangs under (kept to write a noted order's root). */
  parent: Context;
  startedAt: number;
  /** Sampled: its spans record as they go. Else its stages are noted in `noted`. */
  recording: boolean;
  stage: Span | null;
  stageNote: NotedStage | null;
  stageState: OrderState | null;
  stageLane: string | null;
  noted: NotedStage[];
}

const propagator = new W3CTraceContextPropagator();

const STAGE_NAME: Partial<Record<OrderState, string>> = {
  QUEUED: "queue",
  ALLOCATING: "allocate card",
  ISSUING: "provider attempt",
  RETRYING: "retry backoff",
};

export class OrderTracer {
  private readonly provider: TracerProvider;
  private readonly tracer: Tracer;
  /** Writes the spans of unsampled orders kept for being failed or slow, with the ids they had. */
  private readonly keeperProvider: TracerProvider;
  private readonly keeper: Tracer;
  private readonly ids = new PrimableIds();
  private readonly slowMs: number;
  private readonly orders = new Map<string, OrderSpans>();

  constructor(options: TracingOptions) {
    const exporter =
      options.exporter ?? new OTLPTraceExporter(options.endpoint ? { url: options.endpoint } : {});
    const batch = new BatchSpanProcessor({ exporter, scheduledDelayMillis: 500, maxQueueSize: 16_384 });
    const resource = resourceFromAttributes({ "service.name": options.serviceName ?? "rushhour" });
    this.provider = new TracerProvider({
      resource,
      sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.ratio ?? 1) }),
      spanProcessors: [batch],
    });
    this.keeperProvider = new TracerProvider({
      resource,
      sampler: new AlwaysOnSampler(),
      idGenerator: this.ids,
      spanProcessors: [batch],
    });
    this.tracer = this.provider.getTracer("rushhour");
    this.keeper = this.keeperProvider.getTracer("rushhour");
    this.slowMs = options.slowMs ?? 1000;
  }

  /** Starts an order's trace; `carrier` holds the client's traceparent, if it sent one. */
  begin(orderId: string, startedAtMs: number, carrier?: TraceCarrier): void {
    const parent = carrier ? propagator.extract(context.active(), carrier, getter) : context.active();
    const root = this.tracer.startSpan(
      "SubmitOrder",
      { kind: SpanKind.SERVER, startTime: startedAtMs, attributes: { "rushhour.order.id": orderId } },
      parent,
    );
    this.orders.set(orderId, {
      orderId,
      root,
      parent,
      startedAt: startedAtMs,
      recording: root.isRecording(),
      stage: null,
      stageNote: null,
      stageState: null,
      stageLane: null,
      noted: [],
    });
  }

  /** Follows the order to its next state: ends the stage it left, starts the one it entered. */
  change(view: OrderView): void {
    const o = this.orders.get(view.orderId);
    if (o === undefined) return;
    if (view.state === o.stageState && view.lane === o.stageLane) return;
    const now = Date.now();
    this.endStage(o, view, now);
    const name = STAGE_NAME[view.state];
    if (name === undefined) {
      if (view.state !== "ACCEPTED") this.finish(o, view, now);
      return;
    }
    const overflow = view.state === "QUEUED" && view.lane === "overflow";
    const attributes: Record<string, string | number> = {};
    if (view.lane !== null) attributes["rushhour.lane"] = view.lane;
    if (view.state === "ISSUING") {
      if (view.providerId !== null) attributes["rushhour.provider"] = view.providerId;
      attributes["rushhour.attempt"] = view.attempts;
    }
    const stageName = overflow
      ? "overflow to backup"
      : view.state === "QUEUED"
        ? `queue ${view.lane ?? ""}`.trim()
        : name;
    const kind = overflow || view.state === "ISSUING" ? SpanKind.CLIENT : SpanKind.INTERNAL;
    // Unsampled, the span does not record: it only carries ids for inject(); the stage is noted instead.
    o.stage = this.tracer.startSpan(
      stageName,
      o.recording ? { kind, startTime: now, attributes } : { kind },
      trace.setSpan(context.active(), o.root),
    );
    if (!o.recording) {
      o.stageNote = {
        name: stageName,
        kind,
        spanId: o.stage.spanContext().spanId,
        start: now,
        end: now,
        attributes,
        error: null,
      };
      o.noted.push(o.stageNote);
    }
    o.stageState = view.state;
    o.stageLane = view.lane;
  }

  /** Writes the current stage's context (else the order's) as traceparent, for a call made on its behalf. */
  inject(orderId: string, carrier: TraceCarrier): void {
    const o = this.orders.get(orderId);
    if (o === undefined) return;
    propagator.inject(trace.setSpan(context.active(), o.stage ?? o.root), carrier, setter);
  }

  async shutdown(): Promise<void> {
    const now = Date.now();
    for (const o of this.orders.values()) {
      o.stage?.end(now);
      o.root.end(now);
    }
    this.orders.clear();
    await this.provider.shutdown();
    await this.keeperProvider.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.provider.forceFlush();
  }

  private endStage(o: OrderSpans, view: OrderView, now: number): void {
    const stage = o.stage;
    if (stage === null) return;
    let outcome: string | null = null;
    let error: string | null = null;
    if (o.stageState === "ISSUING") {
      const ok = view.state === "DELIVERED";
      outcome = ok ? "issued" : (view.failureReason ?? view.state.toLowerCase());
      if (!ok) error = view.failureReason ?? view.state;
    }
    if (o.stageLane === "overflow") {
      outcome = view.state.toLowerCase();
      if (view.state !== "DELIVERED") error = view.state;
    }
    if (o.recording) {
      if (outcome !== null) stage.setAttribute("rushhour.outcome", outcome);
      if (error !== null) stage.setStatus({ code: SpanStatusCode.ERROR, message: error });
      stage.end(now);
    } else if (o.stageNote !== null) {
      if (outcome !== null) o.stageNote.attributes["rushhour.outcome"] = outcome;
      o.stageNote.error = error;
      o.stageNote.end = now;
    }
    o.stage = null;
    o.stageNote = null;
    o.stageState = null;
    o.stageLane = null;
  }

  private finish(o: OrderSpans, view: OrderView, now: number): void {
    this.orders.delete(view.orderId);
    const failed = view.state !== "DELIVERED";
    if (!o.recording && !failed && now - o.startedAt < this.slowMs) return;
    const root = o.recording ? o.root : this.writeNoted(o);
    root.setAttributes({
      "rushhour.sku": view.sku,
      "rushhour.tier": view.tier,
      "rushhour.state": view.state,
      "rushhour.attempts": view.attempts,
      "rushhour.from_cache": view.fromCache,
      ...(view.cluster !== null ? { "rushhour.cluster": view.cluster } : {}),
      ...(view.providerId !== null ? { "rushhour.provider": view.providerId } : {}),
    });
    if (failed)
      root.setStatus({
        code: SpanStatusCode.ERROR,
        message: view.failureReason ?? view.rejectReason ?? view.state,
      });
    root.end(now);
  }

  /**
   * Writes an unsampled order's root and noted stages as recording spans with the ids they carried (the
   * backup and the farms were told those ids), and returns the root for finish() to end.
   */
  private writeNoted(o: OrderSpans): Span {
    const ctx = o.root.spanContext();
    this.ids.traceId = ctx.traceId;
    this.ids.spanId = ctx.spanId;
    const root = this.keeper.startSpan(
      "SubmitOrder",
      { kind: SpanKind.SERVER, startTime: o.startedAt, attributes: { "rushhour.order.id": o.orderId } },
      o.parent,
    );
    const under = trace.setSpan(context.active(), root);
    for (const n of o.noted) {
      this.ids.spanId = n.spanId;
      const span = this.keeper.startSpan(
        n.name,
        { kind: n.kind, startTime: n.start, attributes: n.attributes },
        under,
      );
      if (n.error !== null) span.setStatus({ code: SpanStatusCode.ERROR, message: n.error });
      span.end(n.end);
    }
    this.ids.traceId = null;
    this.ids.spanId = null;
    return root;
  }
}

const getter = {
  keys: (carrier: TraceCarrier) => ["traceparent", "tracestate"].filter((k) => carrier.get(k).length > 0),
  get: (carrier: TraceCarrier, key: string) => {
    const v = carrier.get(key)[0];
    return typeof v === "string" ? v : undefined;
  },
};
const setter = { set: (carrier: TraceCarrier, key: string, value: string) => carrier.set(key, value) };

/** The tracing options from flags and OpenTelemetry's standard variables, or null when tracing is off. */
export function tracingFromEnv(
  flags: { otlp?: string; ratio?: number; slowMs?: number },
  env: NodeJS.ProcessEnv,
): TracingOptions | null {
  const endpoint = flags.otlp ?? env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (endpoint === undefined || endpoint === "") return null;
  return {
    endpoint,
    ratio: flags.ratio ?? 1,
    slowMs: flags.slowMs ?? 1000,
    serviceName: env.OTEL_SERVICE_NAME ?? "rushhour",
  };
}
