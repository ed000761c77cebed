// A grpc-js server with the house defaults: bounded message size, health and reflection services.
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Server, ServerCredentials, setLogger } from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { HealthImplementation, protoPath as healthProtoPath } from "grpc-health-check";

/** Default bound on a request or response message (oversize ones get RESOURCE_EXHAUSTED). */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export function createGrpcServer(maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES): Server {
  return new Server({
    "grpc.max_receive_message_length": maxMessageBytes,
    "grpc.max_send_message_length": maxMessageBytes,
    // Many short-lived load-driver connections: keep the server responsive to pings, not chatty.
    "grpc.keepalive_permit_without_calls": 1,
    // Channelz (grpc-js's introspection service, which we do not serve) tracks every call: it was the
    // largest allocation site of a SubmitOrder after the order itself, about 1 KB a call.
    "grpc.enable_channelz": 0,
  });
}

/** The port is taken: the caller names its flag (bindServer's error says only what grpc-js saw). */
export class AddressInUseError extends Error {
  override name = "AddressInUseError";
  constructor(readonly address: string) {
    super(`${address} is already in use`);
  }
}

const BIND_FAILED = "No address added out of total";
let loggerInstalled = false;

/**
 * grpc-js's default logger (console.error with an "E "/"I "/"D " prefix), except the line it logs on its
 * own when a bind fails: bindServer reports that failure to its caller, which prints one clear line.
 */
function installLogger(): void {
  if (loggerInstalled) return;
  loggerInstalled = true;
  const write =
    (prefix: string) =>
    (message?: unknown, ...rest: unknown[]) => {
      if (prefix === "E" && typeof message === "string" && message.startsWith(BIND_FAILED)) return;
      console.error(`${prefix} ${String(message)}`, ...rest);
    };
  setLogger({ error: write("E"), info: write("I"), debug: write("D") });
}

/** PEM certificate chain and key of the server; with `clientCa`, clients must show a certificate it signed. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  clientCa?: Buffer;
}

/** TLS credentials for the port (serve --tls-cert/--tls-key[/--tls-client-ca]), or plaintext without. */
export function serverCredentials(tls: TlsMaterial | undefined): ServerCredentials {
  if (tls === undefined) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(
    tls.clientCa ?? null,
    [{ cert_chain: tls.cert, private_key: tls.key }],
    tls.clientCa !== undefined,
  );
}

export function bindServer(
  server: Server,
  host: string,
  port: number,
  credentials: ServerCredentials = ServerCredentials.createInsecure(),
): Promise<number> {
  installLogger();
  const address = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (err, boundPort) => {
      if (err) reject(/EADDRINUSE/.test(err.message) ? new AddressInUseError(address) : err);
      else resolve(boundPort);
    });
  });
}

/** Health service: "" (the whole server) and each named service start SERVING. */
export function addHealth(server: Server, services: string[]): HealthImplementation {
  const health = new HealthImplementation(Object.fromEntries(["", ...services].map((s) => [s, "SERVING"])));
  health.addToServer(server);
  return health;
}

const PROTO_ROOT = fileURLToPath(new URL("../../proto", import.meta.url));

/** Server reflection over our own .proto files and the health service's, so grpcurl and friends work. */
export function addReflection(server: Server, files: string[]): void {
  const definition = protoLoader.loadSync([...files, "health.proto"], {
    includeDirs: [PROTO_ROOT, dirname(healthProtoPath)],
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  new ReflectionService(definition).addToServer(server);
}
