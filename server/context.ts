// Everything an RPC handler may reach, built once by server/app.ts.
import type { DispatcherLike } from "./dispatcher-contract.ts";
import type { ClientAuth } from "./grpc/auth.ts";
import type { OperationTimings } from "./op-timings.ts";
import type { OrderBook } from "./orders.ts";
import type { ProcessStats } from "./process-stats.ts";
import type { ProviderBackend } from "./providers/backend.ts";
import type { RealtimeEnvironment } from "./realtime-env.ts";
import type { Store } from "./store/types.ts";

export interface ConfigState {
  /** "legacy", "adaptive" or "custom". */
  preset: string;
  /** Increases by one on every applied change. */
  version: number;
}

export interface ServerContext {
  env: RealtimeEnvironment;
  dispatcher: DispatcherLike;
  store: Store;
  book: OrderBook;
  skus: SkuCatalog;
  providers: ProviderBackend;
  config: ConfigState;
  processStats: ProcessStats;
  /** Store operations and provider calls as this server timed them (server/op-timings.ts). */
  operations: OperationTimings;
  role: "primary" | "backup";
  /** Who calls the Dispatch service (serve --client-tokens / --tls-client-ca); off by default. */
  clientAuth: ClientAuth;
  /** Set when shutdown starts: new orders are refused with UNAVAILABLE. */
  shuttingDown: boolean;
}

/** The SKUs this server sells: the seeded and imported ones, plus any the store has stock of. */
export class SkuCatalog {
  private readonly known = new Set<string>();

  constructor(private readonly store: Store) {}

  add(sku: string): void {
    this.known.add(sku);
  }

  /** Known without asking the store. */
  knows(sku: string): boolean {
    return this.known.has(sku);
  }

  list(): string[] {
    return [...this.known];
  }

  async sells(sku: string): Promise<boolean> {
    if (this.known.has(sku)) return true;
    if ((await this.store.stock(sku)) > 0) {
      this.known.add(sku);
      return true;
    }
    return false;
  }
}
