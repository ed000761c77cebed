// `rushhour serve` wired: store, providers, the core on real time, the order book, gRPC services
// (Dispatch, Admin, health, reflection), /metrics and an orderly close.
import type { Server } from "node:http";
import type { Server as GrpcServer, Metadata } from "@grpc/grpc-js";
import type { HealthImplementation } from "grpc-health-check";
import { AdminServiceService } from "../proto/gen/rushhour/v1/admin.ts";
import { OrderLogWriter } from "../traffic/replay/writer.ts";
import type { ClientToken } from "./client-tokens.ts";
import { type ConfigState, type ServerContext, SkuCatalog } from "./context.ts";
import type { OverflowPort } from "./core/ports.ts";
import { newDispatcher } from "./core-binding.ts";
import { adminService } from "./grpc/admin/service.ts";
import { type ClientAuth, certificateClientAuth, NO_CLIENT_AUTH, tokenClientAuth } from "./grpc/auth.ts";
import { dispatchService, dispatchServiceDefinition } from "./grpc/dispatch/service.ts";
import {
  addHealth,
  addReflection,
  bindServer,
  createGrpcServer,
  DEFAULT_MAX_MESSAGE_BYTES,
  serverCredentials,
  type TlsMaterial,
} from "./grpc/server.ts";
import { ServerMetrics } from "./metrics.ts";
import { incidentPush, Notifier, type NotifyOptions } from "./notify.ts";
import { OperationTimings, timedProviders, timedStages, timedStore } from "./op-timings.ts";
import { OrderBook } from "./orders.ts";
import { BackupOverflow } from "./overflow.ts";
import { ProcessStats } from "./process-stats.ts";
import { localBackend, type ProviderBackend, remoteBackend } from "./providers/backend.ts";
import type { ProviderModel, RiskModel } from "./providers/model.ts";
import { RealtimeEnvironment } from "./realtime-env.ts";
import { DEFAULT_STOCK_CACHE_MS, withStockCache } from "./stock-cache.ts";
import { openStore, seedStock, toCardStorePort } from "./store/open.ts";
import { OrderTracer, type TracingOptions } from "./tracing.ts";

export interface ServeOptions {
  host: string;
  port: number;
  storeUrl: string;
  /** A validated DispatchConfig. */
  config: unknown;
  /** "legacy", "adaptive" or "custom". */
  preset: string;
  /** Local simulated providers, or addresses of provider farms. */
  providers:
    | { kind: "local"; models: ProviderModel[]; risk?: RiskModel; notification?: ProviderModel }
    | { kind: "remote"; addresses: string[] };
  /** null: no /metrics endpoint; 0: any free port. */
  metricsPort: number | null;
  adminToken: string;
  role: "primary" | "backup";
  /** HOST:PORT of a backup server to forward overflow orders to. */
  backup?: string;
  /** Cards seeded per SKU when the pool holds none of the SKUs. */
  seedStock: number;
  skus: string[];
  seed?: number;
  maxMessageBytes?: number;
  /** Inventory checks are answered from a per-SKU count at most this old (0: ask the store every time). */
  stockCacheMs?: number;
  /** Per-minute demand history for the forecaster, oldest first. */
  demandHistory?: number[];
  /** Name among several instances sharing one store: recovery takes back only this instance's orders. */
  instance?: string;
  /**
   * Bearer tokens per client for the Dispatch service (serve --client-tokens): a call without a valid one
   * is UNAUTHENTICATED, and an order by id is shown only to the client that placed it.
   */
  clientTokens?: ClientToken[];
  /** TLS on the gRPC port (Dispatch and Admin); with a client CA and no client tokens, the CN is the client. */
  tls?: TlsMaterial;
  /** Webhooks that get each incident (serve --notify); see server/notify.ts. */
  notify?: NotifyOptions;
  /** OpenTelemetry traces of orders (serve --otlp); see server/tracing.ts. Absent: off. */
  tracing?: TracingOptions;
  /** Order log every accepted order is appended to (serve --record; traffic/replay/writer.ts). */
  record?: string;
  log?: (line: string) => void;
}

export interface RunningServer {
  /** HOST:PORT the gRPC services listen on. */
  address: string;
  port: number;
  metricsPort: number | null;
  recovered: number;
  seeded: number;
  context: ServerContext;
  /** The incident pusher when --notify is given. */
  notifier: Notifier | null;
  /** Stops accepting, drains in-flight orders for up to `drainMs`, closes everything. */
  close(drainMs?: number): Promise<{ unfinished: number }>;
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const log = options.log ?? (() => {});
  const env = new RealtimeEnvironment(options.seed ?? 1);
  const store = await openStore(options.storeUrl);
  const cleanup: (() => unknown)[] = [() => store.close()];
  try {
    const seeded = await seedIfEmpty(options, store);
    const tracer = options.tracing ? new OrderTracer(options.tracing) : null;
    // Closed last (cleanup runs in reverse): the spans of orders ended by the drain are flushed.
    if (tracer) cleanup.push(() => tracer.shutdown());
    const trace = tracer ? (orderId: string, md: Metadata) => tracer.inject(orderId, md) : undefined;
    const providers: ProviderBackend =
      options.providers.kind === "local"
        ? localBackend(options.providers.models, env, options.providers)
        : await remoteBackend(options.providers.addresses, env, trace ? { trace } : {});
    cleanup.push(() => providers.close());
    let overflow: OverflowPort | undefined;
    if (options.backup !== undefined) {
      const backup = new BackupOverflow(options.backup, env, undefined, trace);
      cleanup.push(() => backup.close());
      overflow = backup;
    }
    // The store and provider calls timed as this process sees them (GetSnapshot's operations).
    const operations = new OperationTimings();
    const dispatcher = newDispatcher({
      env,
      config: options.config,
      store: withStockCache(
        timedStore(toCardStorePort(store), operations),
        options.stockCacheMs ?? DEFAULT_STOCK_CACHE_MS,
        () => env.now(),
      ),
      providers: { ids: providers.ids, port: timedProviders(providers.port, operations) },
      // The risk and notification stages run when the provider spec (local) or the farm (remote) has them.
      ...timedStages(providers.risk, providers.notify, operations),
      overflow,
      cluster: options.role === "backup" ? "backup" : "primary",
    });
    cleanup.push(() => dispatcher.stop());
    if (options.demandHistory) dispatcher.loadDemandHistory(options.demandHistory);
    let notifier: Notifier | null = null;
    if (options.notify !== undefined && options.notify.urls.length > 0) {
      const pusher = new Notifier(options.notify, log);
      notifier = pusher;
      const unsubscribe = dispatcher.onEvent((event) => {
        if (event.kind === "incident") pusher.push(incidentPush(event.incident, (t) => env.toUnixMs(t)));
      });
      cleanup.push(() => {
        unsubscribe();
        return pusher.close();
      });
    }
    const processStats = new ProcessStats();
    cleanup.push(() => processStats.stop());

    let recorder: OrderLogWriter | null = null;
    if (options.record !== undefined) {
      const writer = new OrderLogWriter(options.record);
      cleanup.push(() => writer.close());
      await writer.ready();
      recorder = writer;
    }
    let metrics: ServerMetrics | null = null;
    const book = new OrderBook({
      onAccepted: recorder
        ? (o) =>
            recorder.add({
              t: o.acceptedAt,
              sku: o.sku,
              tier: o.tier,
              key: o.idempotencyKey,
              customer: o.clientId,
            })
        : undefined,
      dispatcher,
      store,
      toUnix: (t) => env.toUnixMs(t),
      onTerminal: (view) => metrics?.observe(view),
      onError: (err) => log(`ledger write failed: ${(err as Error).message}`),
      instance: options.instance,
      ...(tracer ? { tracer } : {}),
    });
    const skus = new SkuCatalog(store);
    for (const sku of options.skus) skus.add(sku);
    const config: ConfigState = { preset: options.preset, version: 1 };
    const context: ServerContext = {
      env,
      dispatcher,
      store,
      book,
      skus,
      providers,
      config,
      processStats,
      operations,
      role: options.role,
      clientAuth: clientAuthOf(options),
      shuttingDown: false,
    };
    const recovered = await book.recover();
    if (recovered > 0) log(`recovered ${recovered} unfinished orders into the compensation queue`);

    const grpc = createGrpcServer(options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
    grpc.addService(dispatchServiceDefinition, dispatchService(context));
    grpc.addService(AdminServiceService, adminService(context, options.adminToken));
    const health = addHealth(grpc, ["rushhour.v1.DispatchService", "rushhour.v1.AdminService"]);
    addReflection(grpc, ["rushhour/v1/dispatch.proto", "rushhour/v1/admin.proto"]);
    const port = await bindServer(grpc, options.host, options.port, serverCredentials(options.tls));
    cleanup.push(() => grpc.forceShutdown());

    let metricsServer: Server | null = null;
    let metricsPort: number | null = null;
    if (options.metricsPort !== null) {
      metrics = new ServerMetrics(
        () => dispatcher.snapshot(),
        processStats,
        () => book.inFlight,
      );
      const bound = await metrics.listen(options.host, options.metricsPort);
      metricsServer = bound.server;
      metricsPort = bound.port;
    }

    let closing: Promise<{ unfinished: number }> | null = null;
    const close = (drainMs = 5000) => {
      closing ??= shutdown(context, grpc, health, book, drainMs, async () => {
        metricsServer?.close();
        for (const step of [...cleanup].reverse()) {
          try {
            await step();
          } catch (err) {
            log(`close: ${(err as Error).message}`);
          }
        }
      });
      return closing;
    };
    const host = options.host.includes(":") ? `[${options.host}]` : options.host;
    return { address: `${host}:${port}`, port, metricsPort, recovered, seeded, context, notifier, close };
  } catch (err) {
    for (const step of cleanup.reverse()) {
      try {
        await step();
      } catch {
        // Already failing: the first error is the one to report.
      }
    }
    throw err;
  }
}

/** Tokens decide the client when given; else a client certificate's CN; else clients are not told apart. */
function clientAuthOf(options: ServeOptions): ClientAuth {
  if (options.clientTokens !== undefined) return tokenClientAuth(options.clientTokens);
  if (options.tls?.clientCa !== undefined) return certificateClientAuth();
  return NO_CLIENT_AUTH;
}

async function seedIfEmpty(
  options: ServeOptions,
  store: Awaited<ReturnType<typeof openStore>>,
): Promise<number> {
  if (options.seedStock <= 0 || options.skus.length === 0) return 0;
  let free = 0;
  for (const sku of options.skus) free += await store.stock(sku);
  if (free > 0) return 0;
  const result = await seedStock(store, options.skus, options.seedStock, "GC");
  return result.imported;
}

/** Stop accepting, let in-flight orders finish (bounded), then close the rest in reverse order of opening. */
async function shutdown(
  context: ServerContext,
  grpc: GrpcServer,
  health: HealthImplementation,
  book: OrderBook,
  drainMs: number,
  closeRest: () => Promise<void>,
): Promise<{ unfinished: number }> {
  context.shuttingDown = true;
  for (const s of ["", "rushhour.v1.DispatchService", "rushhour.v1.AdminService"])
    health.setStatus(s, "NOT_SERVING");
  const grpcDone = new Promise<void>((resolve) => grpc.tryShutdown(() => resolve()));
  const { unfinished } = await book.drain(drainMs);
  // Calls still open (a WatchEvents stream, an order that did not finish) are cut now.
  await Promise.race([grpcDone, new Promise((r) => setTimeout(r, 200))]);
  grpc.forceShutdown();
  await closeRest();
  return { unfinished };
}
