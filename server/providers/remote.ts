// The core's ProviderPort over gRPC: each call goes to the farm (`rushhour providers`) that serves
// the provider, with a deadline, so live runs make real network calls with real timeouts.
import { credentials, Metadata, status } from "@grpc/grpc-js";
import {
  type ListProvidersResponse,
  type ProviderInfo,
  ProviderServiceClient,
  type StageServiceInfo,
} from "../../proto/gen/rushhour/v1/provider.ts";
import type { IssueOutcome, IssueRequest, ProviderPort } from "../core/ports.ts";

export interface RemoteProvidersOptions {
  /** Deadline of one IssueCard call (the core arms its own, usually shorter, timeout too). */
  deadlineMs?: number;
  /** How long to wait for each farm to answer ListProviders at start. */
  connectTimeoutMs?: number;
  /** Writes the order's trace context into a call's metadata (serve --otlp; server/tracing.ts). */
  trace?: (orderId: string, metadata: Metadata) => void;
}

export interface RemoteFarm {
  address: string;
  client: ProviderServiceClient;
  providers: ProviderInfo[];
  risk?: StageServiceInfo;
  notification?: StageServiceInfo;
}

export class RemoteProviders implements ProviderPort {
  private readonly clientOf = new Map<string, ProviderServiceClient>();
  private readonly deadlineMs: number;
  private readonly trace: ((orderId: string, metadata: Metadata) => void) | undefined;

  private constructor(
    readonly farms: RemoteFarm[],
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
    // The farms' risk and notification services: their ids must not clash with any provider's either.
    for (const id of farms.flatMap((f) => [f.risk?.serviceId, f.notification?.serviceId])) {
      if (id === undefined) continue;
      if (this.clientOf.has(id) || this.served.has(id)) {
        throw new Error(`provider id ${id} is served by two farms; ids must be unique`);
      }
      this.served.add(id);
    }
    const stage = (pick: (f: RemoteFarm) => StageServiceInfo | undefined, what: string) => {
      const serving = farms.filter((f) => pick(f) !== undefined);
      if (serving.length > 1)
        throw new Error(
          `${what} is served by two farms (${serving.map((f) => f.address).join(", ")}); give one`,
        );
      const farm = serving[0];
      const info = farm === undefined ? undefined : pick(farm);
      return farm === undefined || info === undefined ? undefined : { farm, info };
    };
    this.risk = stage((f) => f.risk, "a risk service");
    this.notification = stage((f) => f.notification, "a notification service");
  }

  /** Ids of the farms' risk and notification services (what faults may name besides providers). */
  private readonly served = new Set<string>();
  /** The risk service of one of the farms, if any serves one. */
  readonly risk: { farm: RemoteFarm; info: StageServiceInfo } | undefined;
  /** The notification service of one of the farms, if any serves one. */
  readonly notification: { farm: RemoteFarm; info: StageServiceInfo } | undefined;

  /** Connects to every farm and lists its providers. */
  static async connect(addresses: string[], options: RemoteProvidersOptions = {}): Promise<RemoteProviders> {
    const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    const farms = await Promise.all(
      addresses.map(async (address) => {
        const client = new ProviderServiceClient(address, credentials.createInsecure());
        const listed = await new Promise<ListProvidersResponse>((resolve, reject) => {
          client.listProviders(
            {},
            new Metadata(),
            { deadline: Date.now() + connectTimeoutMs },
            (err, res) => {
              if (err)
                reject(new Error(`provider farm ${address} did not answer: ${err.details || err.message}`));
              else resolve(res);
            },
          );
        });
        const farm: RemoteFarm = { address, client, providers: listed.providers };
        if (listed.risk !== undefined) farm.risk = listed.risk;
        if (listed.notification !== undefined) farm.notification = listed.notification;
        return farm;
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

  /** Deadline of one call to a farm. */
  get callDeadlineMs(): number {
    return this.deadlineMs;
  }

  /** A provider's, or a risk or notification service's, id served by one of the farms. */
  serves(id: string): boolean {
    return this.clientOf.has(id) || this.served.has(id);
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

/** A failed farm call as the core's reason: "timeout" at the deadline, `unavailable` for a service error. */
export function reasonOf(code: status, unavailable = "provider_error"): string {
  switch (code) {
    case status.DEADLINE_EXCEEDED:
      return "timeout";
    case status.NOT_FOUND:
      return "unknown_provider";
    case status.UNAVAILABLE:
      return unavailable;
    default:
      return `grpc_${status[code]?.toLowerCase() ?? code}`;
  }
}
