// The server's own timings of the operations the simulator models as service times: each card-store
// operation and each provider call, from the call to its answer as this process saw it (queueing in the
// store's pool, the network hop to the farm and the farm's latency included). GetSnapshot returns them
// (OperationTiming in proto/rushhour/v1/admin.proto); `rushhour calibrate` turns them into a profile.

import { LatencyHistogram } from "../results/histogram.ts";
import type { CardStorePort, NotifyPort, ProviderPort, RiskPort } from "./core/ports.ts";

export interface OperationTimingView {
  name: string;
  count: number;
  meanMs: number;
  /** The 0th..100th percentiles, ms (101 values). */
  quantilesMs: number[];
  /** All of them, cumulative, as `LatencyHistogram.encode()` writes it (an interval: subtract two). */
  histogram: string;
}

export class OperationTimings {
  /**
   * Each operation's histogram and the exact sum of its times: the histogram's own mean walks every
   * recorded bucket (about 3 ms an operation once a few thousand are timed), this one is a division.
   */
  private readonly byName = new Map<string, { h: LatencyHistogram; sumMs: number }>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** A callback wrapper: records the time from now to the callback under `name`. */
  time<A extends unknown[]>(name: string, done: (...args: A) => void): (...args: A) => void {
    const start = this.now();
    return (...args: A) => {
      this.record(name, this.now() - start);
      done(...args);
    };
  }

  record(name: string, ms: number): void {
    let t = this.byName.get(name);
    if (t === undefined) {
      t = { h: LatencyHistogram.create(), sumMs: 0 };
      this.byName.set(name, t);
    }
    t.h.record(ms);
    t.sumMs += Math.max(0, ms);
  }

  views(): OperationTimingView[] {
    return [...this.byName.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, t]) => operationView(name, t.h, t.h.count === 0 ? 0 : t.sumMs / t.h.count));
  }
}

/**
 * One operation's figures from its histogram (GetSnapshot's, and calibrate's per-step differences);
 * `meanMs` when the caller kept the exact sum, else the histogram's.
 */
export function operationView(name: string, h: LatencyHistogram, meanMs = h.mean): OperationTimingView {
  return {
    name,
    count: h.count,
    meanMs,
    quantilesMs: Array.from({ length: 101 }, (_, p) => h.percentile(p)),
    histogram: h.encode(),
  };
}

/** The card store with every operation timed ("store.claim", ...). */
export function timedStore(port: CardStorePort, t: OperationTimings): CardStorePort {
  return {
    claim: (ownerId, sku, done) => port.claim(ownerId, sku, t.time("store.claim", done)),
    transfer: (cardId, from, to, done) => port.transfer(cardId, from, to, t.time("store.transfer", done)),
    release: (ownerId, cardId, done) => port.release(ownerId, cardId, t.time("store.release", done)),
    deliver: (ownerId, cardId, done) => port.deliver(ownerId, cardId, t.time("store.deliver", done)),
    stock: (sku, done) => port.stock(sku, t.time("store.stock", done)),
  };
}

/**
 * The providers with every answered call timed ("provider.<id>"). A call never answered (a blackhole)
 * records nothing: the core's timeout, not the provider, ends it.
 */
export function timedProviders(port: ProviderPort, t: OperationTimings): ProviderPort {
  return { issue: (request, done) => port.issue(request, t.time(`provider.${request.providerId}`, done)) };
}

/**
 * The risk and notification services with every answered call timed ("provider.<id>" too: faults and
 * calibration profiles name a stage's service by its id, as a provider's).
 */
export function timedStages<
  R extends { id: string; port: RiskPort },
  N extends { id: string; port: NotifyPort },
>(
  risk: R | undefined,
  notify: N | undefined,
  t: OperationTimings,
): { risk: R | undefined; notify: N | undefined } {
  return {
    risk:
      risk === undefined
        ? undefined
        : {
            ...risk,
            port: { check: (request, done) => risk.port.check(request, t.time(`provider.${risk.id}`, done)) },
          },
    notify:
      notify === undefined
        ? undefined
        : {
            ...notify,
            port: {
              send: (request, done) => notify.port.send(request, t.time(`provider.${notify.id}`, done)),
            },
          },
  };
}
