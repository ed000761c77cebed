// OpenTelemetry traces of orders (serve --otlp). Against a real OTLP/gRPC receiver: a client's traceparent,
// the primary's SubmitOrder, its hop to the backup, the backup's SubmitOrder and its provider attempts
// (one failed, one retried and issued) arrive as one tree with the right parents. And the sampling rules:
// a ratio of 0 still keeps failed and slow orders, and drops the rest.
import { randomBytes } from "node:crypto";
import { Metadata } from "@grpc/grpc-js";
import { InMemorySpanExporter, type ReadableSpan, type SpanExporter } from "@opentelemetry/sdk-trace";
import { afterAll, describe, expect, it } from "vitest";
import { runLoad } from "../../load/run-load.ts";
import { CustomerTier, Lane, OrderState } from "../../proto/gen/rushhour/v1/common.ts";
import { WaitMode } from "../../proto/gen/rushhour/v1/dispatch.ts";
import { validateScenario } from "../../scenarios/define.ts";
import { type RunningServer, startServer } from "../../server/app.ts";
import type { OrderView } from "../../server/core/types.ts";
import { zeroLatencyProviders } from "../../server/providers/model.ts";
import { OrderTracer } from "../../server/tracing.ts";
import { resolveConfig } from "../../simulator/configs.ts";
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from "../support/otlp-receiver.ts";
import { call, clients } from "./grpc/clients.ts";

const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

const adaptive = resolveConfig("adaptive");

async function serve(
  receiver: OtlpReceiver,
  service: string,
  extra: { config: object; backup?: string; errorRate: number },
): Promise<RunningServer> {
  const running = await startServer({
    host: "127.0.0.1",
    port: 0,
    storeUrl: "memory:",
    config: extra.config,
    preset: "custom",
    providers: {
      kind: "local",
      models: zeroLatencyProviders(2).map((m) => ({ ...m, errorRate: extra.errorRate })),
    },
    metricsPort: null,
    adminToken: "test-admin-token",
    role: extra.backup === undefined ? "backup" : "primary",
    ...(extra.backup !== undefined ? { backup: extra.backup } : {}),
    seedStock: 5000,
    skus: ["sku-a"],
    tracing: { endpoint: receiver.url, ratio: 1, slowMs: 60_000, serviceName: service },
  });
  closers.push(() => running.close(0));
  return running;
}

/** The trace of one order that overflowed and whose first provider attempt at the backup failed. */
function retriedOverflowTrace(spans: ReceivedSpan[], clientSpanOf: Map<string, string>) {
  for (const [traceId, clientSpan] of clientSpanOf) {
    const t = spans.filter((s) => s.traceId === traceId);
    const root = t.find((s) => s.service === "primary" && s.name === "SubmitOrder");
    const hop = t.find((s) => s.service === "primary" && s.name === "overflow to backup");
    const backupRoot = t.find((s) => s.service === "backup" && s.name === "SubmitOrder");
    const attempts = t
      .filter((s) => s.service === "backup" && s.name === "provider attempt")
      .sort((a, b) => Number(a.startNs - b.startNs));
    const backoff = t.find((s) => s.service === "backup" && s.name === "retry backoff");
    if (!root || !hop || !backupRoot || !backoff || attempts.length !== 2) continue;
    if (attempts[0]?.statusCode !== 2 || attempts[1]?.statusCode === 2) continue;
    return { clientSpan, root, hop, backupRoot, attempts, backoff };
  }
  return undefined;
}

describe("order traces over OTLP", () => {
  it("a retried, overflowed order's spans arrive as one tree under the client's span", async () => {
    const receiver = await startOtlpReceiver();
    closers.push(() => receiver.close());
    const noCache = { ...adaptive, prewarm: { ...adaptive.prewarm, enabled: false } };
    const backup = await serve(receiver, "backup", { config: noCache, errorRate: 0.3 });
    const primary = await serve(receiver, "primary", {
      config: {
        ...noCache,
        routing: { ...adaptive.routing, highWatermark: 0, lowWatermark: 0, minDwellMs: 0 },
      },
      backup: backup.address,
      errorRate: 0,
    });
    const c = clients(primary.address);
    closers.push(async () => c.close());
    const clientSpanOf = new Map<string, string>();
    // Orders until one overflowed and was retried at the backup (each such order: p = 0.3 x 0.7 per pair
    // of attempts); the test's timeout bounds the loop, the outcome is read from the received spans.
    for (let i = 0; ; i++) {
      const traceId = randomBytes(16).toString("hex");
      const spanId = randomBytes(8).toString("hex");
      const metadata = new Metadata();
      metadata.set("traceparent", `00-${traceId}-${spanId}-01`);
      const res = await call(
        c.dispatch.submitOrder,
        c.dispatch,
        {
          idempotencyKey: `trace-${i}`,
          sku: "sku-a",
          tier: CustomerTier.CUSTOMER_TIER_STANDARD,
          waitMode: WaitMode.WAIT_MODE_DELIVERED,
        },
        { metadata },
      );
      if (
        res.order?.lane === Lane.LANE_OVERFLOW &&
        res.order.state === OrderState.ORDER_STATE_DELIVERED &&
        res.order.attempts === 2
      ) {
        clientSpanOf.set(traceId, spanId);
        break;
      }
    }
    await receiver.until((spans) => retriedOverflowTrace(spans, clientSpanOf) !== undefined);
    const t = retriedOverflowTrace(receiver.spans, clientSpanOf)!;
    expect(t.root.parentSpanId).toBe(t.clientSpan);
    expect(t.hop.parentSpanId).toBe(t.root.spanId);
    expect(t.backupRoot.parentSpanId).toBe(t.hop.spanId);
    for (const s of [...t.attempts, t.backoff]) expect(s.parentSpanId).toBe(t.backupRoot.spanId);
    expect(t.attempts.map((a) => a.attributes["rushhour.attempt"])).toEqual([1, 2]);
    expect(t.attempts[0]?.attributes["rushhour.provider"]).toMatch(/^p[12]$/);
    expect(t.root.attributes["rushhour.state"]).toBe("DELIVERED");
    expect(t.root.attributes["rushhour.cluster"]).toBe("backup");
  }, 60_000);
});

describe("load --trace", () => {
  it("finds the driver's slowest orders in the server's traces by the trace ids the RunResult lists", async () => {
    // Kept past the server's close (the SDK's in-memory exporter forgets its spans on shutdown).
    const exported: ReadableSpan[] = [];
    const exporter: SpanExporter = {
      export: (spans, done) => {
        exported.push(...spans);
        done({ code: 0 });
      },
      shutdown: async () => {},
    };
    const server = await startServer({
      host: "127.0.0.1",
      port: 0,
      storeUrl: "memory:",
      config: adaptive,
      preset: "adaptive",
      providers: { kind: "local", models: zeroLatencyProviders(2) },
      metricsPort: null,
      adminToken: "test-admin-token",
      role: "primary",
      seedStock: 5000,
      skus: ["sku-1"],
      tracing: { exporter, ratio: 1, slowMs: 60_000 },
    });
    closers.push(() => server.close(0));
    const scenario = validateScenario({
      name: "traced",
      traffic: { executor: "constant-arrival-rate", rate: 40, duration: "1s" },
      skus: { count: 1 },
      providers: [{ id: "p1", latency: { p50: "5ms", p99: "10ms" }, capacity: 10 }],
      cluster: { primary: { workers: 4 }, backup: { workers: 2 } },
      drain: "2s",
      window: "500ms",
    });
    const { result } = await runLoad({
      scenario,
      arm: { name: "adaptive", role: "single", definition: {} },
      target: { addresses: [server.address], adminToken: null },
      durationScale: 1,
      command: ["x"],
      trace: true,
    });
    expect(result.counters.delivered).toBe(40);
    const slowest = result.slowestOrders ?? [];
    expect(slowest).toHaveLength(10);
    expect(slowest.map((s) => s.latencyMs)).toEqual(
      [...slowest.map((s) => s.latencyMs)].sort((a, b) => b - a),
    );
    await server.close(0); // flushes the tracer
    const roots = exported.filter((span) => span.name === "SubmitOrder");
    const rootOf = new Map(roots.map((r) => [r.spanContext().traceId, r]));
    for (const s of slowest) {
      const root = rootOf.get(s.traceId);
      expect(root, s.traceId).toBeDefined();
      // The driver's span is the server span's parent: its span id is the iteration + 1.
      expect(root?.parentSpanContext?.spanId).toBe((s.iteration + 1).toString(16).padStart(16, "0"));
    }
  }, 60_000);
});

describe("sampling", () => {
  const view = (orderId: string, state: OrderView["state"], extra: Partial<OrderView> = {}): OrderView => ({
    orderId,
    sku: "sku-a",
    tier: "standard",
    state,
    lane: "default",
    cluster: "primary",
    providerId: state === "ISSUING" ? "p1" : null,
    attempts: 1,
    cardId: null,
    cardCode: null,
    submittedAt: 0,
    finishedAt: null,
    timings: { queuedMs: 0, allocatingMs: 0, issuingMs: 0, retryingMs: 0, totalMs: 0 },
    rejectReason: null,
    failureReason: null,
    fromCache: false,
    canary: false,
    ...extra,
  });
  const run = (tracer: OrderTracer, orderId: string, end: OrderView["state"], startedAt = Date.now()) => {
    tracer.begin(orderId, startedAt);
    for (const state of ["QUEUED", "ALLOCATING", "ISSUING"] as const) tracer.change(view(orderId, state));
    tracer.change(view(orderId, end, end === "FAILED" ? { failureReason: "provider p1: error" } : {}));
  };

  it("with a ratio of 0 keeps every failed and slow order and drops the others", async () => {
    const exporter = new InMemorySpanExporter();
    const tracer = new OrderTracer({ exporter, ratio: 0, slowMs: 5_000 });
    for (let i = 0; i < 20; i++) run(tracer, `fast-${i}`, "DELIVERED");
    run(tracer, "failed", "FAILED");
    run(tracer, "slow", "DELIVERED", Date.now() - 10_000);
    // An unsampled order tells a provider farm the ids of its attempt; kept later, it is written with them.
    const told = new Map<string, string>();
    const carrier = { get: () => [], set: (k: string, v: string) => void told.set(k, v) };
    tracer.begin("told", Date.now());
    for (const state of ["QUEUED", "ALLOCATING", "ISSUING"] as const) tracer.change(view("told", state));
    tracer.inject("told", carrier);
    tracer.change(view("told", "FAILED", { failureReason: "provider p1: timeout" }));
    await tracer.forceFlush();
    const roots = exporter.getFinishedSpans().filter((s) => s.name === "SubmitOrder");
    expect(roots.map((s) => s.attributes["rushhour.order.id"]).sort()).toEqual(["failed", "slow", "told"]);
    const [, traceId, spanId, flags] = (told.get("traceparent") ?? "").split("-");
    expect(flags).toBe("00");
    const attempt = exporter
      .getFinishedSpans()
      .find((s) => s.name === "provider attempt" && s.spanContext().traceId === traceId);
    expect(attempt?.spanContext().spanId).toBe(spanId);
    expect(attempt?.status.code).toBe(2);
    // Each kept order comes with its stages.
    expect(exporter.getFinishedSpans()).toHaveLength(3 * 4);
    await tracer.shutdown();
  });

  it("with a ratio of 1 keeps every order, and 0.25 about a quarter", async () => {
    const count = async (ratio: number) => {
      const exporter = new InMemorySpanExporter();
      const tracer = new OrderTracer({ exporter, ratio, slowMs: 60_000 });
      for (let i = 0; i < 2000; i++) run(tracer, `o-${i}`, "DELIVERED");
      await tracer.forceFlush();
      const n = exporter.getFinishedSpans().filter((s) => s.name === "SubmitOrder").length;
      await tracer.shutdown();
      return n;
    };
    expect(await count(1)).toBe(2000);
    // Binomial(2000, 0.25): sd 19.4; +-6 sd keeps a false failure below 1e-8.
    const quarter = await count(0.25);
    expect(Math.abs(quarter - 500)).toBeLessThan(117);
  });
});
