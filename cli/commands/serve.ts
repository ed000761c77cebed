// `rushhour serve`: the live dispatch server.
import { type RunningServer, type ServeOptions, startServer } from "../../server/app.ts";
import { AddressInUseError } from "../../server/grpc/server.ts";
import { isLoopback } from "../../server/security-options.ts";
import { closeOnSignals } from "../../server/shutdown.ts";
import { DEFAULT_STOCK_CACHE_MS } from "../../server/stock-cache.ts";
import { redactStoreUrls } from "../../server/store/open.ts";
import { parseCommandArgs } from "../args.ts";
import { type Command, EXIT, UsageError } from "../command.ts";
import { recordFlag } from "../record-flag.ts";
import {
  adminToken,
  checkStoreUrl,
  hostPort,
  intFlag,
  notifyOptions,
  readConfigFlag,
  readDemandHistory,
  readProvidersFlag,
  readSkus,
  securityOptions,
  tracingOptions,
} from "./serve-options.ts";

const help = `Usage: rushhour serve [options]

Runs the dispatch server: DispatchService and AdminService over gRPC (plus the standard health and
reflection services), the dispatch core on real time, a card store and providers.
When ready it prints one line:  rushhour serve listening on HOST:PORT

Options:
  --port N              gRPC port (default 50051; 0 picks a free port)
  --host H              address to bind (default 127.0.0.1)
  --store URL           memory: | sqlite:PATH | postgres://user@host:port/db (default sqlite:./data/rushhour.db);
                        PostgreSQL takes ?pool=N (connections, default 16) and ?batches=N (group-commit
                        statements in flight, default 4; 0 = one statement per store call)
  --config C            legacy | adaptive | FILE: JSON {"extends": "legacy"|"adaptive", ...overrides}, as in
                        rushhour sim (without "extends", over adaptive) (default adaptive)
  --providers P         local (4 simulated providers) | local:zero (zero latency) | local:FILE (spec JSON)
                        | HOST:PORT[,HOST:PORT...] (provider farms, see rushhour providers) (default local)
                        a spec's (or a farm's) risk and notification services become the core's
                        risk check and delivery notification
  --metrics-port N      Prometheus /metrics port (default 9464; 0 picks a free port; "off" disables)
  --admin-token T       bearer token for AdminService (default: $RUSHHOUR_ADMIN_TOKEN, else generated and printed;
                        an argument is visible to every user in ps: prefer the file or the variable)
  --admin-token-file F  read the admin token from file F (one line)
  --client-tokens FILE  bearer tokens per client for DispatchService: lines CLIENT:TOKEN or a JSON object
                        {"CLIENT": "TOKEN"}; a call without a valid token is UNAUTHENTICATED, and an order
                        by id is shown only to its client (others get NOT_FOUND) or by its idempotency key.
                        Without it, clients are not told apart: order ids are random and not guessable
  --tls-cert FILE       serve TLS on the gRPC port (Dispatch and Admin) with this PEM certificate chain
  --tls-key FILE        ... and its PEM private key
  --tls-client-ca FILE  require client certificates signed by this CA (mutual TLS); without
                        --client-tokens, a certificate's CN is the client id
  --role R              primary | backup (default primary)
  --backup HOST:PORT    a backup server (rushhour serve --role backup) to forward overflow orders to
  --seed-stock N        cards seeded per SKU when the pool has none of the SKUs (default 10000; 0: never)
  --skus N|LIST         SKUs sold: a count (sku-1..sku-N) or a comma list (default 20)
  --seed N              seed of the random streams (default 1)
  --stock-cache-ms N    inventory checks use a per-SKU count at most N ms old, kept current by this
                        server's claims; a count of 0 is always asked again (default ${DEFAULT_STOCK_CACHE_MS}; 0: always ask)
  --demand-history FILE per-minute order counts (JSON array, oldest first) for the prewarm forecaster
  --drain-ms N          on SIGTERM/SIGINT, how long in-flight orders may finish (default 5000)
  --max-message-bytes N largest request or response accepted (default 4194304)
  --instance NAME       name of this instance among several sharing one store ([a-z0-9-], 1-32): order ids
                        start with it and a restart recovers only this instance's unfinished orders
  --record FILE         append every accepted order (time, SKU, tier, key, client) to this order log (CSV;
                        gzip when FILE ends in .gz): a replayable scenario traffic (scenarios/README.md)
  --notify URL          POST each incident (a provider isolated / readmitted, the retry budget exhausted /
                        restored, the overflow route flapping / settled) with its timeline and likely cause
                        to this http(s) webhook; repeatable or comma-separated. Sent in the
                        background (bounded outbox, 5 s timeout, 4 tries with backoff): never slows dispatch,
                        never carries the admin or client tokens
  --notify-format F     json (the full incident, default) | slack ({"text"}) | wecom (markdown message)
                        | feishu (text message)
  --otlp URL            export one OpenTelemetry trace per order over OTLP/gRPC (http://HOST:4317): SubmitOrder
                        with child spans for queueing, allocation, each provider attempt, backoff and the hop
                        to the backup; W3C traceparent read from clients and sent on to the backup and to
                        provider farms. Default: $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or
                        $OTEL_EXPORTER_OTLP_ENDPOINT; neither set: tracing is off
  --trace-ratio R       share of orders traced, 0..1 (default 1; a traced client's orders follow its choice)
  --trace-slow-ms N     failed orders and orders slower than N ms are traced whatever the ratio (default 1000)
  -h, --help            show this help

Exit codes: 0 stopped cleanly, 1 failed at run time, 2 bad usage (a bad flag or file, a port already in use).
`;

export const serveCommand: Command = {
  name: "serve",
  summary: "run the live dispatch server (gRPC Dispatch + Admin, health, reflection, /metrics)",
  help,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      port: { type: "string" },
      host: { type: "string" },
      store: { type: "string" },
      config: { type: "string" },
      providers: { type: "string" },
      "metrics-port": { type: "string" },
      "admin-token": { type: "string" },
      "admin-token-file": { type: "string" },
      "client-tokens": { type: "string" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      "tls-client-ca": { type: "string" },
      role: { type: "string" },
      backup: { type: "string" },
      "seed-stock": { type: "string" },
      skus: { type: "string" },
      seed: { type: "string" },
      "drain-ms": { type: "string" },
      "max-message-bytes": { type: "string" },
      "demand-history": { type: "string" },
      "stock-cache-ms": { type: "string" },
      instance: { type: "string" },
      record: { type: "string" },
      notify: { type: "string", multiple: true },
      "notify-format": { type: "string" },
      otlp: { type: "string" },
      "trace-ratio": { type: "string" },
      "trace-slow-ms": { type: "string" },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const role = values.role ?? "primary";
    if (role !== "primary" && role !== "backup")
      throw new UsageError(`--role must be primary or backup, got "${role}"`);
    if (role === "backup" && values.backup !== undefined)
      throw new UsageError("--backup needs --role primary");
    if (values.instance !== undefined && !/^[a-z0-9][a-z0-9-]{0,31}$/.test(values.instance)) {
      throw new UsageError(`--instance must be 1-32 of [a-z0-9-], got "${values.instance}"`);
    }
    const metricsFlag = values["metrics-port"];
    const { config, preset } = readConfigFlag(values.config ?? "adaptive");
    const token = adminToken(values["admin-token"], values["admin-token-file"]);
    const security = securityOptions(values);
    const host = values.host ?? "127.0.0.1";
    if (host.trim() === "") throw new UsageError("--host must not be empty");
    const drainMs = intFlag("drain-ms", values["drain-ms"], 5000, 0, 600_000);
    const log = (line: string) => process.stderr.write(`rushhour serve: ${line}\n`);

    const options: ServeOptions = {
      host,
      port: intFlag("port", values.port, 50051, 0, 65535),
      storeUrl: checkStoreUrl(values.store ?? "sqlite:./data/rushhour.db"),
      config,
      preset,
      providers: readProvidersFlag(values.providers ?? "local"),
      metricsPort: metricsFlag === "off" ? null : intFlag("metrics-port", metricsFlag, 9464, 0, 65535),
      adminToken: token.token,
      role,
      backup: values.backup === undefined ? undefined : hostPort("backup", values.backup),
      seedStock: intFlag("seed-stock", values["seed-stock"], 10_000, 0, 10_000_000),
      skus: readSkus(values.skus),
      seed: intFlag("seed", values.seed, 1, 0, 2 ** 31 - 1),
      maxMessageBytes: intFlag(
        "max-message-bytes",
        values["max-message-bytes"],
        4 * 1024 * 1024,
        1024,
        1 << 30,
      ),
      demandHistory: readDemandHistory(values["demand-history"]),
      stockCacheMs: intFlag("stock-cache-ms", values["stock-cache-ms"], DEFAULT_STOCK_CACHE_MS, 0, 60_000),
      instance: values.instance,
      ...(values.record === undefined ? {} : { record: recordFlag(values.record) }),
      notify: notifyOptions(values.notify, values["notify-format"]),
      ...tracingOptions(values.otlp, values["trace-ratio"], values["trace-slow-ms"]),
      ...security,
      log,
    };
    if (security.clientTokens !== undefined && security.tls === undefined && !isLoopback(host)) {
      log(`client tokens travel in clear text to ${host}: give --tls-cert and --tls-key`);
    }
    let server: RunningServer;
    try {
      server = await startServer(options);
    } catch (err) {
      // A port in use is the flag's fault: exit 2 naming it.
      if (err instanceof AddressInUseError) {
        throw new UsageError(
          `--port ${options.port}: ${err.message}; choose another port (0 picks a free one)`,
        );
      }
      if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") {
        throw new UsageError(
          `--metrics-port ${options.metricsPort}: ${host}:${options.metricsPort} is already in use; choose another port, 0 or off`,
        );
      }
      // A run-time failure (store unreachable, farm down): one clear line, exit 1.
      log(`cannot start: ${redactStoreUrls((err as Error).message)}`);
      return EXIT.failed;
    }
    if (server.seeded > 0) log(`seeded ${server.seeded} cards`);
    if (server.metricsPort !== null) {
      process.stdout.write(`rushhour serve metrics on http://${host}:${server.metricsPort}/metrics\n`);
    }
    if (token.generated) process.stdout.write(`rushhour serve admin token ${token.token}\n`);
    process.stdout.write(`rushhour serve listening on ${server.address}\n`);
    await new Promise<never>(() => {
      closeOnSignals(async () => {
        const { unfinished } = await server.close(drainMs);
        if (unfinished > 0)
          log(`${unfinished} orders were still running; they are recovered on the next start`);
      }, log);
    });
    return EXIT.ok;
  },
};
