// A small promise-based AdminService client with the bearer token on every call: snapshots each
// window, faults at their moments, card imports before a run, configuration between runs.
import { type ClientReadableStream, credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import {
  AdminServiceClient,
  type GetSnapshotResponse,
  type WatchEventsResponse,
} from "../proto/gen/rushhour/v1/admin.ts";
import { FaultKind } from "../proto/gen/rushhour/v1/common.ts";
import type { ClientTls } from "./unary-channel.ts";

export type FaultKindName = "timeout" | "error" | "latency" | "blackhole";

const FAULT_KINDS: Record<FaultKindName, FaultKind> = {
  timeout: FaultKind.FAULT_KIND_TIMEOUT,
  error: FaultKind.FAULT_KIND_ERROR,
  latency: FaultKind.FAULT_KIND_LATENCY,
  blackhole: FaultKind.FAULT_KIND_BLACKHOLE,
};

export interface FaultRequest {
  providerId: string;
  kind: FaultKindName;
  probability: number;
  latencyMs: number;
  durationMs: number;
}

type Unary<Req, Res> = (
  req: Req,
  md: Metadata,
  opts: { deadline: number },
  cb: (err: ServiceError | null, res: Res) => void,
) => unknown;

export class Admin {
  private readonly client: AdminServiceClient;
  private readonly md = new Metadata();

  /** `tls`: TLS to the server (serve --tls-cert), with a client certificate if given; plaintext without. */
  constructor(
    readonly address: string,
    token: string,
    private readonly timeoutMs = 10_000,
    tls?: ClientTls,
  ) {
    const creds =
      tls === undefined
        ? credentials.createInsecure()
        : credentials.createSsl(
            Buffer.from(tls.ca),
            tls.key === undefined ? null : Buffer.from(tls.key),
            tls.cert === undefined ? null : Buffer.from(tls.cert),
          );
    this.client = new AdminServiceClient(address, creds);
    this.md.set("authorization", `Bearer ${token}`);
  }

  private call<Req, Res>(method: Unary<Req, Res>, req: Req, timeoutMs = this.timeoutMs): Promise<Res> {
    return new Promise((resolve, reject) => {
      method.call(this.client, req, this.md, { deadline: Date.now() + timeoutMs }, (err, res) =>
        err ? reject(err) : resolve(res),
      );
    });
  }

  /**
   * The server's snapshot. `operations`: also its operation timings (GetSnapshotResponse.operations), which
   * cost its event loop tens of ms to compute: ask only where they are read (calibrate's step edges).
   */
  getSnapshot(timeoutMs?: number, options: { operations?: boolean } = {}): Promise<GetSnapshotResponse> {
    return this.call(
      this.client.getSnapshot as Unary<object, GetSnapshotResponse>,
      { includeOperations: options.operations ?? false },
      timeoutMs,
    );
  }

  /**
   * Resolves once the server holds no order (nothing queued, nothing in flight, in any lane), polling its
   * snapshot every `pollMs`; false when `timeoutMs` passes first. A warm-up's drain ends on the client's
   * side: orders still queued at the server go on being served, and a measured run started then began
   * behind (at 1,000/s its first window's P50 read 385 ms).
   */
  async waitUntilIdle(timeoutMs: number, pollMs = 100): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const { lanes } = await this.getSnapshot();
      if (lanes.every((l) => l.queueDepth === 0 && l.inFlight === 0)) return true;
      if (Date.now() >= until) return false;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  async injectFault(f: FaultRequest): Promise<string> {
    const res = await this.call(this.client.injectFault as Unary<object, { faultId: string }>, {
      fault: {
        providerId: f.providerId,
        kind: FAULT_KINDS[f.kind],
        probability: f.probability,
        latencyMs: f.latencyMs,
        durationMs: f.durationMs,
      },
    });
    return res.faultId;
  }

  async clearFaults(): Promise<number> {
    const res = await this.call(this.client.clearFaults as Unary<object, { cleared: number }>, {
      providerId: "",
    });
    return res.cleared;
  }

  async importCards(sku: string, codes: string[]): Promise<{ imported: number; duplicates: number }> {
    return this.call(
      this.client.importCards as Unary<object, { imported: number; duplicates: number }>,
      { sku, codes },
      60_000,
    );
  }

  /** Applies a preset or a JSON configuration; throws with every validation error. */
  async applyConfig(source: { preset: string } | { configJson: string }): Promise<void> {
    const res = await this.call(
      this.client.applyConfig as Unary<
        object,
        { applied: boolean; errors: { path: string; message: string }[] }
      >,
      { ...source, dryRun: false },
    );
    if (!res.applied) {
      throw new Error(`ApplyConfig refused: ${res.errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`);
    }
  }

  /** Streams events until `stop()`; errors after stop (CANCELLED) are ignored. */
  watchEvents(onEvent: (e: WatchEventsResponse) => void, onError: (err: Error) => void): { stop(): void } {
    const stream: ClientReadableStream<WatchEventsResponse> = this.client.watchEvents({ kinds: [] }, this.md);
    let stopped = false;
    stream.on("data", onEvent);
    stream.on("error", (err: Error) => {
      if (!stopped) onError(err);
    });
    return {
      stop: () => {
        stopped = true;
        stream.cancel();
      },
    };
  }

  close(): void {
    this.client.close();
  }
}
