// The cluster CPU model: each stage an order passes through costs CPU milliseconds on the cluster that
// runs it; utilisation over a window = CPU ms spent / (window ms x cores), capped at 1. Orders waiting
// (queued or in retry backoff) cost `waitPerSecond` ms per second, charged from the in-flight count.

import type { ClusterSpec } from "../../scenarios/schema.ts";
import type { ClusterName, OrderState } from "../../server/core/types.ts";

export class CpuModel {
  private readonly spent: Record<ClusterName, number> = { primary: 0, backup: 0 };
  private readonly costOf: Partial<Record<OrderState, number>>;

  constructor(private readonly cluster: ClusterSpec) {
    const c = cluster.cpuCostMs;
    this.costOf = {
      QUEUED: c.accept,
      ALLOCATING: c.allocate,
      ISSUING: c.issue,
      DELIVERED: c.deliver,
      RETRYING: c.retry,
      FAILED: c.deliver,
      REJECTED: c.accept,
    };
  }

  /** Charges the cost of entering `state` on `cluster`. */
  onState(cluster: ClusterName, state: OrderState): void {
    const cost = this.costOf[state];
    if (cost !== undefined) this.spent[cluster] += cost;
  }

  /** Charges waiting orders over `ms`. */
  chargeWaiting(cluster: ClusterName, waiting: number, ms: number): void {
    this.spent[cluster] += (waiting * ms * this.cluster.cpuCostMs.waitPerSecond) / 1000;
  }

  /** Utilisation of each cluster since the last call, and resets. */
  takeWindow(windowMs: number): Record<ClusterName, number> {
    const out = {
      primary: Math.min(1, this.spent.primary / (windowMs * this.cluster.primary.cores)),
      backup: Math.min(1, this.spent.backup / (windowMs * this.cluster.backup.cores)),
    };
    this.spent.primary = 0;
    this.spent.backup = 0;
    return out;
  }
}
