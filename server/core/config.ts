// The dispatch configuration: one typed, JSON-serialisable object (it travels as JSON over gRPC and
// lives in scenario files), validated by zod with every error reported at once under a dotted path.
// Two presets: `legacy` (the "before" system) and `adaptive` (the "after" system). Both have the same
// total worker count, so a comparison between them is about policy, not capacity.
import { z } from "zod";
import { MAX_INPUT_ARRAY_LENGTH } from "./array-bounds.ts";
import { inputShapeViolations } from "./input-shape.ts";
import { formatIssuePath } from "./issue-path.ts";
import type { FieldViolation } from "./types.ts";

const int = (min: number) => z.number().int().min(min);
/**
 * The largest value of a uint32 wire field. A count that reaches the wire is bounded by its field's type
 * (proto/rushhour/v1/admin.proto LaneSnapshot.workers and queue_capacity, dispatch.proto Order.attempts):
 * beyond it every GetSnapshot failed to serialise (INTERNAL) until the configuration changed back.
 */
export const UINT32_MAX = 4_294_967_295;
const wireCount = (min: number) =>
  int(min).max(UINT32_MAX, `at most ${UINT32_MAX}, the largest uint32 (the wire type of the field it feeds)`);
/** A count the core allocates memory for (a window, a sketch, a season): bounded like an input list. */
const sizedCount = (min: number) =>
  int(min).max(
    MAX_INPUT_ARRAY_LENGTH,
    `at most ${MAX_INPUT_ARRAY_LENGTH} (the core allocates memory per unit)`,
  );
/**
 * The longest delay a timer holds: Node's setTimeout runs a longer one after 1 ms (a provider timeout of
 * 2^31 ms timed out every call), so every time in ms is bounded by it (about 24.8 days).
 */
export const MAX_TIMER_MS = 2_147_483_647;
/** A verdict's bootstrap resamples both arms (up to maxSamples each) this many times at most. */
export const MAX_BOOTSTRAP_ITERATIONS = 100_000;
const ms = (min = 0) =>
  z.number().min(min).max(MAX_TIMER_MS, `at most ${MAX_TIMER_MS} ms (the longest timer delay)`);
const ratio = () => z.number().min(0).max(1);

const laneSchema = z.strictObject({
  /** Worker slots: an order holds one from dequeue until it leaves the worker (delivered or failed). */
  workers: wireCount(0),
  /** Orders waiting for a slot; a new order finding the queue full is REJECTED. */
  queueCapacity: wireCount(0),
});

const vipLaneSchema = z.strictObject({
  /** false: VIP orders queue with everyone in the default lane (legacy). */
  enabled: z.boolean(),
  workers: wireCount(0),
  queueCapacity: wireCount(0),
  /** Idle VIP slots may take default-lane orders while at least `reserve` VIP slots stay free. */
  lendIdle: z.boolean(),
  reserve: int(0),
});

const schema = z
  .strictObject({
    /** A label carried into results ("legacy", "adaptive", "custom"...). */
    name: z.string().min(1),
    lanes: z.strictObject({
      vip: vipLaneSchema,
      default: laneSchema,
      /** Weighted dequeue for default-lane slots when both queues wait: `vipWeight` VIP orders per default one. */
      vipWeight: int(1),
    }),
    routing: z.strictObject({
      /** false: the backup cluster stands cold (legacy). */
      overflow: z.boolean(),
      /** Smoothed primary load (busy slots / slots) at or above which new standard orders overflow. */
      highWatermark: ratio(),
      /** Overflow switches off again only below this (hysteresis). */
      lowWatermark: ratio(),
      /** Minimum time between two route switches (damps flapping). */
      minDwellMs: ms(),
      /** Period of the core's load sampler. */
      sampleIntervalMs: ms(1),
      /** EWMA weight of the newest load sample, in (0, 1]. */
      smoothing: z.number().gt(0).max(1),
    }),
    provider: z.strictObject({
      /** The core gives up on a provider call after this long (a timeout failure). */
      timeoutMs: ms(1),
      /** A successful call slower than this counts as slow for health. */
      slowCallMs: ms(1),
      /** "round-robin": uniform, health-blind (legacy); "health-weighted": weighted by health, least outstanding. */
      selection: z.enum(["round-robin", "health-weighted"]),
    }),
    health: z.strictObject({
      /** false: no health tracking; every provider keeps getting traffic (legacy). */
      enabled: z.boolean(),
      /** Sliding window of the last N calls per provider. */
      windowSize: sizedCount(1),
      /** No judgement below this many calls in the window. */
      minCalls: int(1),
      /** Failure (timeout + error) rate at or above which HEALTHY -> SUB_HEALTHY. */
      subHealthyFailureRate: ratio(),
      /** Slow-call rate at or above which HEALTHY -> SUB_HEALTHY. */
      subHealthySlowRate: ratio(),
      /** Failure rate at or above which the provider is ISOLATED. */
      isolateFailureRate: ratio(),
      /** A SUB_HEALTHY provider is readmitted to HEALTHY when both rates drop below this share of their threshold. */
      recoverFactor: ratio(),
      /** Traffic weight of a SUB_HEALTHY provider (HEALTHY = 1). */
      subHealthyWeight: ratio(),
      /** First isolation length; doubles per repeat isolation up to the cap. */
      isolationBaseMs: ms(),
      isolationMaxMs: ms(),
      /** A provider's repeat count resets after this long HEALTHY. */
      isolationResetMs: ms(),
      /** Never more than this share of providers ISOLATED/PROBING at once (and never all). */
      maxIsolatedShare: ratio(),
      /** Trial calls in PROBING; all must succeed to readmit. */
      probeCalls: int(1),
      /** Gap between two probe calls. */
      probeIntervalMs: ms(),
      /** After readmission the weight ramps linearly from 0.1 to 1 over this period. */
      slowStartMs: ms(),
    }),
    retry: z.strictObject({
      /** Attempts in all, the first included. */
      maxAttempts: wireCount(1),
      backoff: z.enum(["fixed", "exponential"]),
      baseDelayMs: ms(),
      maxDelayMs: ms(),
      /** "full": delay uniform in [0, computed) (AWS full jitter); "none": exactly computed. */
      jitter: z.enum(["none", "full"]),
      budget: z.strictObject({
        enabled: z.boolean(),
        /** Retries in flight + waiting in backoff <= ratio x orders accepted per second over the window ... */
        ratio: z.number().min(0).finite(),
        /** ... + this floor. */
        minRetries: int(0),
        windowMs: ms(1),
      }),
    }),
    allocation: z.strictObject({
      /** Checks stock before claiming (a store round trip, or memory for preloaded hot SKUs). */
      stockCheck: z.boolean(),
    }),
    prewarm: z.strictObject({
      enabled: z.boolean(),
      /** Season of the per-minute demand history, in minutes (60 or 1440). */
      seasonMinutes: sizedCount(2),
      alpha: ratio(),
      beta: ratio(),
      gamma: ratio(),
      /** How far ahead the forecaster looks for the next peak. */
      horizonMinutes: sizedCount(1),
      /** Cache target = ratio x predicted peak orders per minute. */
      ratio: ratio(),
      /** Pre-issues only while smoothed load is below this (quiet periods). */
      maxLoad: ratio(),
      /** Pre-issued cards per second at most. */
      ratePerSecond: z.number().min(0).finite(),
      /** Period of the prewarm planner. */
      intervalMs: ms(1),
    }),
    hotSku: z.strictObject({
      enabled: z.boolean(),
      /** Counters in the Space-Saving sketch. */
      capacity: sizedCount(1),
      /** A SKU is hot when its decayed share of recent orders reaches this. */
      hotShare: ratio(),
      /** ... and it has at least this many (decayed) orders. */
      minCount: z.number().min(0).finite(),
      /** Counts halve every half-life. */
      halfLifeMs: ms(1),
      /** Preloaded stock is refreshed from the store this often. */
      refreshMs: ms(1),
    }),
    canary: z.strictObject({
      /** Default share of orders that run the candidate. */
      share: z.number().gt(0).max(0.5),
      /** Hold below this many completed orders per arm. */
      minSamples: int(2),
      /**
       * Significance level of every judgement: the rank test's, and one-sided at each bound of the P99
       * delta's bootstrap CI (a two-sided 1 - 2 alpha interval).
       */
      alpha: z.number().gt(0).lt(0.5),
      /** Resamples per verdict: each costs a pass over both arms' samples, so it is bounded. */
      bootstrapIterations: int(10).max(
        MAX_BOOTSTRAP_ITERATIONS,
        `at most ${MAX_BOOTSTRAP_ITERATIONS} (each verdict resamples this often)`,
      ),
      /** Roll back when the candidate's error rate exceeds the baseline's by more than this. */
      errorRateMargin: ratio(),
      /**
       * Promote a candidate that is not clearly better only when the upper bound of its P99 delta CI
       * is within this share of the baseline P99 (non-inferiority), with enough data.
       */
      nonInferiority: ratio(),
      /** Latency samples kept per arm (a reservoir; bounded memory). */
      maxSamples: int(10),
    }),
    /**
     * The risk stage (only when the dispatcher has a risk service): after the card is claimed, before it is
     * issued. Its calls are booked on the health board like a provider's (health.enabled decides whether
     * that isolates it), so an outage opens an incident, is probed and readmitted.
     */
    risk: z.strictObject({
      /** The core gives up on a risk check after this long (legacy: the same as its provider timeout). */
      timeoutMs: ms(1),
      /** A check slower than this counts as slow for health. */
      slowCallMs: ms(1),
      /**
       * What an order gets when the risk service cannot answer (an error, a timeout, or it is isolated):
       * "retry": the attempt fails like a provider failure and goes to the compensation queue (legacy:
       * the write-up's pipeline fails as a whole); "fail-closed": FAILED at once, card released;
       * "fail-open": allowed when the order's amount is at most failOpenMaxCents, else `aboveLimit`;
       * "review": REVIEW (held for a person, card kept).
       */
      unavailable: z.enum(["retry", "fail-closed", "fail-open", "review"]),
      /** The largest order amount (cents) "fail-open" lets through unchecked. */
      failOpenMaxCents: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
      /** "fail-open" above the limit: "fail-closed" (FAILED, card released) or "review" (REVIEW). */
      aboveLimit: z.enum(["fail-closed", "review"]),
    }),
    /** The delivery-notification stage (only when the dispatcher has a notification service). */
    notify: z.strictObject({
      /**
       * "inline": sent inside the worker after delivery, before the slot is freed; the order waits for
       * it, one try, and a failure does not undo the delivery (legacy, the write-up's send_email()).
       * "outbox": handed to an asynchronous outbox once DELIVERED, retried with backoff; never delays an order.
       */
      mode: z.enum(["inline", "outbox"]),
      /** The core gives up on one send after this long. */
      timeoutMs: ms(1),
      /** Notifications pending in the outbox (sending or waiting to retry) at most; beyond it new ones are dropped and counted. */
      outboxCapacity: sizedCount(1),
      /** Tries per notification in the outbox, the first included. */
      maxAttempts: int(1).max(100),
      /** Outbox backoff: min(maxDelayMs, baseDelayMs x 2^(tries-1)), full jitter (stream "notify-jitter"). */
      baseDelayMs: ms(),
      maxDelayMs: ms(),
    }),
    /** The core's periodic timer stops after this long with nothing in flight, so a virtual run can drain. */
    idleStopMs: ms(),
  })
  .superRefine((c, ctx) => {
    if (c.routing.lowWatermark > c.routing.highWatermark)
      ctx.addIssue({
        code: "custom",
        path: ["routing", "lowWatermark"],
        message: "must not exceed routing.highWatermark",
      });
    if (c.health.minCalls > c.health.windowSize)
      ctx.addIssue({
        code: "custom",
        path: ["health", "minCalls"],
        message: "must not exceed health.windowSize",
      });
    if (c.health.isolationMaxMs < c.health.isolationBaseMs)
      ctx.addIssue({
        code: "custom",
        path: ["health", "isolationMaxMs"],
        message: "must be at least health.isolationBaseMs",
      });
    if (c.health.isolateFailureRate < c.health.subHealthyFailureRate)
      ctx.addIssue({
        code: "custom",
        path: ["health", "isolateFailureRate"],
        message: "must be at least health.subHealthyFailureRate",
      });
    if (c.notify.maxDelayMs < c.notify.baseDelayMs)
      ctx.addIssue({
        code: "custom",
        path: ["notify", "maxDelayMs"],
        message: "must be at least notify.baseDelayMs",
      });
    if (c.retry.maxDelayMs < c.retry.baseDelayMs)
      ctx.addIssue({
        code: "custom",
        path: ["retry", "maxDelayMs"],
        message: "must be at least retry.baseDelayMs",
      });
    if (c.lanes.default.workers + (c.lanes.vip.enabled ? c.lanes.vip.workers : 0) < 1)
      ctx.addIssue({
        code: "custom",
        path: ["lanes", "default", "workers"],
        message: "the cluster needs a worker",
      });
    if (c.lanes.vip.reserve > c.lanes.vip.workers)
      ctx.addIssue({
        code: "custom",
        path: ["lanes", "vip", "reserve"],
        message: "must not exceed lanes.vip.workers",
      });
    if (c.lanes.vip.enabled && c.lanes.vip.workers < 1)
      ctx.addIssue({
        code: "custom",
        path: ["lanes", "vip", "workers"],
        message: "an enabled VIP lane needs a worker",
      });
  });

export type DispatchConfig = z.infer<typeof schema>;

/**
 * Reserved keys, too-deep nesting and oversized lists in a configuration input, by path (input-shape.ts).
 * Callers that merge a partial input over a configuration ask this of the partial first: the merge
 * recurses, and a partial 20,000 levels deep would overflow it.
 */
export function configInputProblems(input: unknown): FieldViolation[] {
  return inputShapeViolations(input);
}

/** Validates a whole configuration; returns every error at once, each with its dotted path. */
export function validateConfig(
  input: unknown,
): { ok: true; config: DispatchConfig } | { ok: false; errors: FieldViolation[] } {
  const shape = configInputProblems(input);
  if (shape.length > 0) return { ok: false, errors: shape };
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, config: result.data };
  const errors: FieldViolation[] = [];
  for (const issue of result.error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        errors.push({ path: formatIssuePath([...issue.path, key]), message: "unknown field" });
      }
    } else {
      errors.push({ path: formatIssuePath(issue.path), message: issue.message });
    }
  }
  return { ok: false, errors };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Deep-merges a partial override over a configuration (objects merge key by key; anything else
 * replaces). The result is unvalidated: pass it to validateConfig.
 */
export function mergeConfig(base: DispatchConfig, partial: unknown): unknown {
  return mergeValue(base, partial);
}

/** The same deep merge for any JSON value (a scenario's cluster block, a config file's form). */
export function mergeJson(base: unknown, over: unknown): unknown {
  return mergeValue(base, over);
}

function mergeValue(base: unknown, over: unknown): unknown {
  if (over === undefined) return structuredCloneJson(base);
  if (!isPlainObject(base) || !isPlainObject(over)) return structuredCloneJson(over);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(base)) setOwn(out, key, structuredCloneJson(base[key]));
  for (const key of Object.keys(over)) setOwn(out, key, mergeValue(base[key], over[key]));
  return out;
}

/**
 * `out[key] = value`, except that a `__proto__` key stays an own data property (as JSON.parse made it)
 * instead of setting the prototype, so that validateConfig sees it and refuses it by path.
 */
function setOwn(out: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}

function structuredCloneJson(value: unknown): unknown {
  // An oversized array is left as it is for validateConfig to refuse: copying one could take minutes.
  if (Array.isArray(value)) {
    return value.length > MAX_INPUT_ARRAY_LENGTH ? value : value.map(structuredCloneJson);
  }
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) setOwn(out, key, structuredCloneJson(value[key]));
    return out;
  }
  return value;
}

const adaptive: DispatchConfig = {
  name: "adaptive",
  lanes: {
    vip: { enabled: true, workers: 8, queueCapacity: 2000, lendIdle: true, reserve: 2 },
    default: { workers: 24, queueCapacity: 20000 },
    vipWeight: 4,
  },
  routing: {
    overflow: true,
    highWatermark: 0.8,
    lowWatermark: 0.6,
    minDwellMs: 5000,
    sampleIntervalMs: 100,
    smoothing: 0.2,
  },
  provider: { timeoutMs: 800, slowCallMs: 400, selection: "health-weighted" },
  health: {
    enabled: true,
    windowSize: 50,
    minCalls: 10,
    subHealthyFailureRate: 0.2,
    subHealthySlowRate: 0.5,
    isolateFailureRate: 0.5,
    recoverFactor: 0.5,
    subHealthyWeight: 0.3,
    isolationBaseMs: 5000,
    isolationMaxMs: 60000,
    isolationResetMs: 120000,
    maxIsolatedShare: 0.5,
    probeCalls: 3,
    probeIntervalMs: 200,
    slowStartMs: 10000,
  },
  retry: {
    maxAttempts: 3,
    backoff: "exponential",
    baseDelayMs: 100,
    maxDelayMs: 2000,
    jitter: "full",
    budget: { enabled: true, ratio: 0.1, minRetries: 10, windowMs: 10000 },
  },
  allocation: { stockCheck: true },
  prewarm: {
    enabled: true,
    seasonMinutes: 1440,
    alpha: 0.3,
    beta: 0.01,
    gamma: 0.3,
    horizonMinutes: 30,
    ratio: 0.2,
    maxLoad: 0.5,
    ratePerSecond: 50,
    intervalMs: 1000,
  },
  hotSku: {
    enabled: true,
    capacity: 64,
    hotShare: 0.1,
    minCount: 50,
    halfLifeMs: 10000,
    refreshMs: 1000,
  },
  canary: {
    share: 0.05,
    minSamples: 200,
    alpha: 0.01,
    bootstrapIterations: 500,
    errorRateMargin: 0.02,
    nonInferiority: 0.05,
    maxSamples: 2000,
  },
  // The risk service answers in ~15 ms (p99 ~120 ms): 300 ms is well past its p99. Small orders go
  // through while it is down; larger ones wait for a person rather than being refused.
  risk: {
    timeoutMs: 300,
    slowCallMs: 150,
    unavailable: "fail-open",
    failOpenMaxCents: 10_000,
    aboveLimit: "review",
  },
  notify: {
    mode: "outbox",
    timeoutMs: 5000,
    outboxCapacity: 50_000,
    maxAttempts: 5,
    baseDelayMs: 1000,
    maxDelayMs: 30_000,
  },
  idleStopMs: 60000,
};

const legacy: DispatchConfig = {
  ...adaptive,
  name: "legacy",
  lanes: {
    vip: { enabled: false, workers: 0, queueCapacity: 0, lendIdle: false, reserve: 0 },
    default: { workers: 32, queueCapacity: 22000 },
    vipWeight: 1,
  },
  routing: { ...adaptive.routing, overflow: false },
  provider: { timeoutMs: 3000, slowCallMs: 1000, selection: "round-robin" },
  health: { ...adaptive.health, enabled: false },
  retry: {
    maxAttempts: 3,
    backoff: "fixed",
    baseDelayMs: 5000,
    maxDelayMs: 5000,
    jitter: "none",
    budget: { ...adaptive.retry.budget, enabled: false },
  },
  prewarm: { ...adaptive.prewarm, enabled: false },
  hotSku: { ...adaptive.hotSku, enabled: false },
  // Called synchronously in the worker with the provider's timeout; unavailable = the attempt failed.
  risk: { ...adaptive.risk, timeoutMs: 3000, slowCallMs: 1000, unavailable: "retry" },
  notify: { ...adaptive.notify, mode: "inline", timeoutMs: 3000, maxAttempts: 1 },
};

export const PRESETS: { legacy: DispatchConfig; adaptive: DispatchConfig } = { legacy, adaptive };

/** A fresh copy of a preset by name, or undefined. */
export function presetConfig(name: string): DispatchConfig | undefined {
  if (name === "legacy" || name === "adaptive") return structuredCloneJson(PRESETS[name]) as DispatchConfig;
  return undefined;
}

/** Total worker slots of a configuration (the capacity a cluster of this configuration has). */
export function totalWorkers(config: DispatchConfig): number {
  return config.lanes.default.workers + (config.lanes.vip.enabled ? config.lanes.vip.workers : 0);
}

/**
 * The same configuration with `total` worker slots, split between lanes in the configuration's
 * proportions (the simulator sizes clusters with it).
 */
export function withWorkers(config: DispatchConfig, total: number): DispatchConfig {
  const out = structuredCloneJson(config) as DispatchConfig;
  const n = Math.max(1, Math.floor(total));
  if (!out.lanes.vip.enabled) {
    out.lanes.default.workers = n;
    return out;
  }
  const share = config.lanes.vip.workers / totalWorkers(config);
  const vip = Math.min(n - 1, Math.max(1, Math.round(n * share)));
  out.lanes.vip.workers = Math.max(vip, n === 1 ? 1 : vip);
  out.lanes.default.workers = Math.max(0, n - out.lanes.vip.workers);
  out.lanes.vip.reserve = Math.min(out.lanes.vip.reserve, out.lanes.vip.workers);
  return out;
}

// ---- the canary: what a candidate may change ----

/**
 * The per-order policy: what an order runs from its start to its end, and all a canary candidate runs
 * (canary.ts). Everything else is cluster-wide and shared by both arms.
 */
export type OrderPolicy = Pick<DispatchConfig, "provider" | "retry" | "allocation">;

export function orderPolicyOf(config: DispatchConfig): OrderPolicy {
  return { provider: config.provider, retry: config.retry, allocation: config.allocation };
}

/** The sections a canary cannot change, and why (the reason goes into the error). */
const SHARED_SECTIONS: Readonly<Record<Exclude<keyof DispatchConfig, keyof OrderPolicy | "name">, string>> = {
  lanes: "lanes and worker slots are shared by both arms",
  routing: "overflow routing is cluster-wide",
  health: "the provider health board is shared by both arms",
  prewarm: "the prewarm cache is shared by both arms",
  hotSku: "hot-SKU preloading is shared by both arms",
  canary: "the judge runs on the baseline's canary settings",
  idleStopMs: "the core's timer is cluster-wide",
  risk: "the risk stage and its health are shared by both arms",
  notify: "the notification outbox is shared by both arms",
};

/** Paths under `path` where `asked` has a different value from `base` (keys `base` lacks: the schema's). */
function changedPaths(base: unknown, asked: unknown, path: PropertyKey[], out: PropertyKey[][]): void {
  if (isPlainObject(base) && isPlainObject(asked)) {
    for (const key of Object.keys(base)) {
      if (Object.hasOwn(asked, key)) changedPaths(base[key], asked[key], [...path, key], out);
    }
    return;
  }
  if (JSON.stringify(base) !== JSON.stringify(asked)) out.push(path);
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const key of path) v = isPlainObject(v) ? v[key as string] : undefined;
  return v;
}

/**
 * Validates a canary candidate (a partial or whole configuration) against the baseline in force:
 * merged over the baseline it must be a valid configuration, and it may differ from the baseline only
 * in the order policy (provider, retry, allocation; `name` is a label). Every field it would change
 * elsewhere is an error with its path and the reason, so nothing passes validation to be ignored.
 */
export function validateCanaryCandidate(
  baseline: DispatchConfig,
  candidate: unknown,
): { ok: true; policy: OrderPolicy } | { ok: false; errors: FieldViolation[] } {
  const merged = mergeConfig(baseline, candidate);
  const result = validateConfig(merged);
  const errors: FieldViolation[] = result.ok ? [] : [...result.errors];
  if (isPlainObject(merged)) {
    for (const [section, why] of Object.entries(SHARED_SECTIONS)) {
      const changed: PropertyKey[][] = [];
      changedPaths(baseline[section as keyof DispatchConfig], merged[section], [section], changed);
      for (const path of changed) {
        errors.push({
          path: formatIssuePath(path),
          message:
            `a canary runs only the order policy (provider, retry, allocation) and cannot change this: ${why} ` +
            `(in force ${JSON.stringify(valueAt(baseline, path))}, asked ${JSON.stringify(valueAt(merged, path))})`,
        });
      }
    }
  }
  if (errors.length > 0 || !result.ok) return { ok: false, errors };
  return { ok: true, policy: orderPolicyOf(result.config) };
}
