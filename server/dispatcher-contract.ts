// The part of the core's Dispatcher (server/core/dispatcher.ts) the live server uses, typed
// structurally so the server depends on the contract rather than on the core's internals.

import type { Environment } from "./core/env.ts";
import type { CardStorePort, NotifyPort, OverflowPort, ProviderPort, RiskPort } from "./core/ports.ts";
import type {
  ClusterName,
  CoreEvent,
  CoreSnapshot,
  FieldViolation,
  OrderInput,
  OrderView,
} from "./core/types.ts";

export type ConfigResult = { ok: true; config: unknown } | { ok: false; errors: FieldViolation[] };

export interface CanaryVerdictLike {
  id: string | null;
  decision: "promote" | "hold" | "rollback" | "none";
  reason: string;
  baselineCount: number;
  candidateCount: number;
  baselineP99Ms: number;
  candidateP99Ms: number;
  p99DeltaMs: number;
  p99DeltaCi: [number, number] | readonly number[];
  mannWhitneyP: number;
  effectSize: number;
  baselineErrorRate: number;
  candidateErrorRate: number;
}

export interface DispatcherLike {
  submit(order: OrderInput, onChange?: (view: OrderView) => void): OrderView;
  recover(order: OrderInput, onChange?: (view: OrderView) => void): OrderView;
  get(orderId: string): OrderView | undefined;
  snapshot(): CoreSnapshot;
  onEvent(listener: (event: CoreEvent) => void): () => void;
  getConfig(): unknown;
  applyConfig(input: unknown): ConfigResult;
  startCanary(
    candidate: unknown,
    share?: number,
  ): { ok: true; id: string } | { ok: false; errors: FieldViolation[] };
  canaryVerdict(): CanaryVerdictLike;
  stopCanary(): string | null;
  loadDemandHistory(perMinute: number[]): void;
  stop(): void;
}

export interface DispatcherFactoryOptions {
  env: Environment;
  config: unknown;
  store: CardStorePort;
  providers: { ids: string[]; port: ProviderPort };
  overflow?: OverflowPort;
  risk?: { id: string; port: RiskPort };
  notify?: { id: string; port: NotifyPort };
  cluster?: ClusterName;
}
