// The core's ProviderPort over gRPC: each call goes to the farm (`rushhour providers`) that serves
// the provider, with a deadline, so live runs make real network calls with real timeouts.
import { credentials, Metadata, status } from "@grpc/grpc-js";
import { type ProviderInfo, ProviderServiceClient } from "../../proto/gen/rushhour/v1/provider.ts";
import type { IssueOutcome, IssueRequest, ProviderPort } from "../core/ports.ts";

export interface RemoteProvidersOptions {
  /** Deadline of one IssueCard call (the core arms its own, usually shorter, timeout too). */
  deadlineMs?: number;
  /** How long to wait for each farm to answer ListProviders at start. */
  connectTimeoutMs?: number;
  /** Writes the order's trace context into a call's metadata (serve --otlp; server/tracing.ts). */
  trace?: (orderId: string, metadata: Metadata) => void;
}

export class RemoteProviders implements ProviderPort {
  private readonly clientOf = new Map<string, ProviderServiceClient>();
  private readonly deadlineMs: number;
  private readonly trace: ((orderId: string, metadata: Metadata) => void) | undefined;

  private constructor(
    readonly farms: { address: string; client: ProviderServiceClient; providers: ProviderInfo[] }[],
    options: RemoteProvidersOptions,
  ) {
    this.deadlineMs = options.deadlineMs ?? 10_000;
    this.trace = options.trace;
    for (const farm of farms) {
      for (const p of farm.providers) {
        if (this.clientOf.has(p.providerId)) {
          throw new Error(`provider id ${p.providerId} is served by two farms; ids must be unique`);
        }
        this.clientOf.set(p.providerId, farm.client);
      }
    }
  }

  /** Connects to every farm and lists its providers. */
  static async connect(addresses: string[], options: RemoteProvidersOptions = {}): Promise<RemoteProviders> {
    const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    const farms = await Promise.all(
      addresses.map(async (address) => {
        const client = new ProviderServiceClient(address, credentials.createInsecure());
        const providers = await new Promise<ProviderInfo[]>((resolve, reject) => {
          client.listProviders(
            {},
            new Metadata(),
            { deadline: Date.now() + connectTimeoutMs },
            (err, res) => {
              if (err)
                reject(new Error(`provider farm ${address} did not answer: ${err.details || err.message}`));
              else resolve(res.providers);
            },
          );
        });
        return { address, client, providers };
      }),
    );
    return new RemoteProviders(farms, options);
  }

  get ids(): string[] {
    return [...this.clientOf.keys()];
  }

  has(providerId: string): boolean {
    return this.clientOf.has(providerId);
  }

  issue(request: IssueRequest, done: (outcome: IssueOutcome) => void): void {
    const client = this.clientOf.get(request.providerId);
    if (client === undefined) {
      setImmediate(() => done({ kind: "error", reason: "unknown_provider" }));
      return;
    }
    const metadata = new Metadata();
    this.trace?.(request.orderId, metadata);
    client.issueCard(request, metadata, { deadline: Date.now() + this.deadlineMs }, (err, res) => {
      if (err === null) done({ kind: "issued", receipt: res.receipt });
      else done({ kind: "error", reason: reasonOf(err.code) });
    });
  }

  close(): void {
    for (const farm of this.farms) farm.client.close();
  }
}

function reasonOf(code: status): string {
  switch (code) {
    case status.DEADLINE_EXCEEDED:
      return "timeout";
    case status.NOT_FOUND:
      return "unknown_provider";
    case status.UNAVAILABLE:
      return "provider_error";
    default:
      return `grpc_${status[code]?.toLowerCase() ?? code}`;
  }
}
