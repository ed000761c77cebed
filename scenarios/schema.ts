// The scenario schema (zod). A scenario file's default export is `defineScenario({...})` (see
// define.ts). Input durations are "30s"-style strings or numbers of ms; the validated Scenario holds
// milliseconds everywhere. Objects are strict, so a misspelt key is reported, not ignored.
import { z } from "zod";
import { parseThreshold, THRESHOLD_METRICS } from "../results/thresholds.ts";
import { MAX_INPUT_ARRAY_LENGTH } from "../server/core/array-bounds.ts";
import { count, duration, positiveDuration, rate, share, TrafficSchema } from "../traffic/schema.ts";

/** Provider latency: p50/p99 (a lognormal fitted to them) or explicit distribution parameters (ms). */
export const LatencySchema = z.union(
  [
    z.strictObject({ p50: positiveDuration, p99: positiveDuration }),
    z.strictObject({ dist: z.literal("lognormal"), p50: positiveDuration, p99: positiveDuration }),
    z.strictObject({ dist: z.literal("exponential"), mean: positiveDuration }),
    z.strictObject({ dist: z.literal("deterministic"), value: duration }),
    z.strictObject({ dist: z.literal("uniform"), min: duration, max: duration }),
    z.strictObject({
      dist: z.literal("empirical"),
      values: z.array(duration).min(1),
      /**
       * The same service's latency as one server observed it at several steady arrival rates (orders/s),
       * as a calibration profile measures it: the answer waits longer for the server's event loop as the
       * rate grows. The simulator draws at the primary's arrival rate over the last second, between the
       * two nearest rates (the quantiles interpolated); the live provider farm serves `values`.
       */
      byRate: z
        .array(z.strictObject({ rate: z.number().positive(), values: z.array(duration).min(1) }))
        .min(2)
        .optional(),
    }),
  ],
  {
    error:
      'expected {p50, p99} or {dist: "lognormal"|"exponential"|"deterministic"|"uniform"|"empirical", ...params}',
  },
);

export const ProviderSchema = z.strictObject({
  id: z.string().min(1),
  latency: LatencySchema,
  /** Concurrent calls the provider serves; beyond it calls wait in the provider's own FIFO queue. */
  capacity: count(1),
  /** Share of calls answered with an error (before faults). */
  errorRate: share.default(0),
});

/**
 * The risk-control service (checked after the card is claimed, before it is issued). Each answer is
 * deny with probability denyRate, review with reviewRate, else allow (errors first, at errorRate).
 */
export const RiskServiceSchema = z
  .strictObject({
    id: z.string().min(1).default("risk"),
    latency: LatencySchema,
    /** Concurrent checks it serves; beyond it checks wait in its own FIFO queue. */
    capacity: count(1),
    errorRate: share.default(0),
    denyRate: share.default(0),
    reviewRate: share.default(0),
  })
  .refine((r) => r.denyRate + r.reviewRate <= 1, {
    message: "denyRate + reviewRate must be at most 1",
    path: ["reviewRate"],
  });

/** The delivery-notification service (the customer's email). */
export const NotificationServiceSchema = z.strictObject({
  id: z.string().min(1).default("notify"),
  latency: LatencySchema,
  /** Concurrent sends it serves; beyond it sends wait in its own FIFO queue. */
  capacity: count(1),
  errorRate: share.default(0),
});

/** A price in cents: a whole number, 0 or more. */
const cents = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const FAULT_KINDS = ["timeout", "error", "latency", "blackhole"] as const;
export const FaultSchema = z.strictObject({
  at: duration,
  /** A provider's id, or the risk service's or the notification service's id (faults apply to them alike). */
  provider: z.string().min(1),
  /** timeout: calls never answer so the core's timeout fires (like blackhole, but a timeout-shaped outage);
   * error: calls fail fast; latency: `latencyMs` is added; blackhole: no answer at all. */
  kind: z.enum(FAULT_KINDS, { error: `kind must be one of ${FAULT_KINDS.join(", ")}` }),
  /** Share of calls affected while the fault is active. */
  probability: share.default(1),
  latencyMs: duration.optional(),
  duration: positiveDuration,
});

export const DemandHistorySchema = z.discriminatedUnion(
  "kind",
  [
    z.strictObject({
      kind: z.literal("generated"),
      days: count(1),
      /** Orders per minute at the daily peak. */
      peakPerMinute: rate,
      /** Orders per minute at night. */
      troughPerMinute: rate.default(0),
      /** Minute of the day of the peak (0..1439); the run starts at this minute on the next day. */
      peakMinute: count(0)
        .max(1439)
        .default(20 * 60),
      /** Relative noise (0..1) per minute. */
      noise: share.default(0.05),
    }),
    z.strictObject({
      kind: z.literal("file"),
      /** A JSON array of orders per minute, path relative to the scenario file. */
      path: z.string().min(1),
    }),
  ],
  { error: 'demandHistory.kind must be "generated" or "file"' },
);

const clusterNode = z.strictObject({
  workers: count(1),
  /** The cores of the cluster's machine: CPU utilisation is a share of them (as a live server's is). */
  cores: z.number().positive().default(2),
  /**
   * Processors that serve the dispatch CPU (simulator/models/cpu.ts): one per event loop, so 1 for one
   * Node server; at most `cores` count. Default: `cores` (a cluster of single-loop instances, one per core).
   */
  processors: z.number().positive().optional(),
});

/**
 * Server CPU per order as measured at steady throughputs (a calibration profile's steps): per-order CPU
 * falls as the rate rises (an event loop's wake-ups and writes are shared by the orders around them), so
 * the simulator scales the stage costs to this curve at the cluster's arrival rate over the last second.
 */
const cpuCurvePoint = z.strictObject({
  /** Orders per second. */
  rate: z.number().positive(),
  /** Server CPU ms per order (all stages) at that rate: what its CPU utilisation counts. */
  msPerOrder: z.number().min(0),
  /**
   * Of it, the ms its event loop was busy (what the processors serve and orders queue for); the rest ran
   * on the server's other threads. Default: all of it.
   */
  loopMsPerOrder: z.number().min(0).optional(),
  /**
   * The event loop's pauses (garbage collection) per order at that rate, and their mean length (ms): part of
   * loopMsPerOrder, booked as whole pauses that orders queue behind (simulator/models/cpu.ts). Default none.
   */
  pausesPerOrder: z.number().min(0).optional(),
  pauseMs: z.number().min(0).optional(),
  /**
   * How much the pauses' lengths vary (standard deviation over mean): each is drawn around pauseMs from a
   * lognormal with this spread. Default 0: every pause is pauseMs long.
   */
  pauseCv: z.number().min(0).max(20).optional(),
});

export const ClusterSchema = z.strictObject({
  primary: clusterNode,
  backup: clusterNode,
  /** CPU milliseconds spent per order in each stage (a retry repeats allocate + issue + retry). */
  cpuCostMs: z
    .strictObject({
      accept: z.number().min(0).default(0.2),
      allocate: z.number().min(0).default(0.3),
      issue: z.number().min(0).default(0.3),
      deliver: z.number().min(0).default(0.2),
      retry: z.number().min(0).default(0.2),
      /** CPU ms per second an order spends waiting in a queue or in retry backoff (polling, timers, held connections). */
      waitPerSecond: z.number().min(0).default(0),
    })
    .prefault({}),
  /**
   * Measured server CPU per order against the rate (ascending rates; `rushhour calibrate` writes it into a
   * profile's steps). Absent: the stage costs above hold at every rate.
   */
  cpuCurve: z
    .array(cpuCurvePoint)
    .min(1)
    .refine((c) => c.every((p, i) => i === 0 || p.rate > (c[i - 1] as { rate: number }).rate), {
      error: "cpuCurve rates must ascend",
    })
    .optional(),
  /**
   * The event loop's cost per wake and per order (a calibration's loop-turn fit, workflows/calibrate-turns.ts):
   * with cpuCurve, the stage costs sum to orderMs at every rate and each turn of the loop pays wakeMs before its
   * work (simulator/models/cpu.ts), so the loop's busy time per order falls as the load batches its work, as it
   * does live.
   * Absent: the curve's busy time per order at the current rate is charged.
   */
  loopWake: z.strictObject({ wakeMs: z.number().min(0), orderMs: z.number().min(0) }).optional(),
  /** One-way network hop from primary to backup. */
  hopMs: duration.default(2),
  /**
   * false: no backup stands behind the primary, so nothing overflows whatever the configuration's routing
   * says. A local stack (one `rushhour serve`) is such a deployment; `rushhour twin` simulates it so.
   */
  backupDeployed: z.boolean().default(true),
  /**
   * CPU ms per order that the load driver and the provider farm spend on the primary's machine (a
   * local run: they share its cores): the cores they take at the current rate are not there for the
   * primary's processors (simulator/models/cpu.ts). 0: they run elsewhere.
   */
  colocatedMsPerOrder: z.number().min(0).default(0),
  /**
   * A calibration profile (scenarios/calibration-profile.ts), path relative to the scenario file: its
   * measured costs replace the typed-in ones above (`rushhour calibrate` writes it).
   */
  profile: z.string().min(1).optional(),
});

const thresholdList = z.array(
  z.string().superRefine((expr, ctx) => {
    try {
      parseThreshold(expr);
    } catch (err) {
      ctx.addIssue({ code: "custom", message: (err as Error).message });
    }
  }),
);

export const ThresholdsSchema = z.record(z.string(), thresholdList).superRefine((record, ctx) => {
  for (const metric of Object.keys(record)) {
    if (!(metric in THRESHOLD_METRICS)) {
      ctx.addIssue({
        code: "custom",
        path: [metric],
        message: `unknown metric "${metric}"; known: ${Object.keys(THRESHOLD_METRICS).join(", ")}`,
      });
    }
  }
});

export const ScenarioSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, "expected a lowercase name like promo-peak (letters, digits, dashes)"),
  description: z.string().default(""),
  seed: z.number().int().default(1),
  traffic: TrafficSchema,
  vipShare: share.default(0.05),
  skus: z
    .strictObject({
      count: count(1).max(MAX_INPUT_ARRAY_LENGTH, `at most ${MAX_INPUT_ARRAY_LENGTH}`).default(100),
      zipfExponent: z.number().min(0).default(1),
      /** Windows in which one SKU (1-based rank in the Zipf order) takes `share` of all orders. */
      hotspots: z
        .array(z.strictObject({ at: duration, duration: positiveDuration, sku: count(1), share }))
        .default([]),
      /**
       * Order amounts: one price in cents for every SKU, or a list by popularity rank (the first entry
       * is the most popular SKU's; ranks past the end take the last entry). The risk check sees it.
       */
      priceCents: z.union([cents, z.array(cents).min(1)]).default(0),
    })
    .prefault({}),
  /** Windows in which the VIP share changes (a VIP surge). */
  vipSurges: z.array(z.strictObject({ at: duration, duration: positiveDuration, share })).default([]),
  demandHistory: DemandHistorySchema.optional(),
  providers: z.array(ProviderSchema).min(1, "needs at least one provider"),
  /** The risk-control service; absent: no risk stage. */
  risk: RiskServiceSchema.optional(),
  /** The delivery-notification service; absent: no notification stage. */
  notification: NotificationServiceSchema.optional(),
  faults: z.array(FaultSchema).default([]),
  compare: z
    .strictObject({
      baseline: z.string().min(1).default("legacy"),
      candidate: z.string().min(1).default("adaptive"),
      /**
       * Per-side traffic or cluster, for before/after comparisons at different loads (seed-replay). Without
       * them both sides see the same orders (common random numbers).
       */
      overrides: z
        .strictObject({
          baseline: z
            .strictObject({ traffic: TrafficSchema.optional(), cluster: ClusterSchema.optional() })
            .optional(),
          candidate: z
            .strictObject({ traffic: TrafficSchema.optional(), cluster: ClusterSchema.optional() })
            .optional(),
        })
        .default({}),
    })
    .prefault({}),
  cluster: ClusterSchema,
  /**
   * Simulation only: the card store's time per operation. With `perSkuLock` (the default) they are per-SKU
   * row-lock service times (operations on one SKU's cards serialise, so a hot SKU queues in the store);
   * without, each operation simply answers after its time, alongside the others (a calibration profile's
   * measured round trips: a group commit answers a batch of writes together). Absent: the store answers at once.
   */
  store: z
    .strictObject({
      claimMs: duration.default(0),
      stockMs: duration.default(0),
      deliverMs: duration.default(0),
      releaseMs: duration.default(0),
      perSkuLock: z.boolean().default(true),
    })
    .optional(),
  /**
   * What counts as good service (scenarios/README.md, "Objectives"): a delivery within `latency` is goodput;
   * one slower than its tier's `patience`, or a failed order, risks a complaint; a provider incident still
   * open after `incidentRecovery` needs a person (a manual intervention).
   */
  objective: z
    .strictObject({
      latency: positiveDuration.default(2000),
      patience: z
        .strictObject({ standard: positiveDuration.default(30_000), vip: positiveDuration.default(10_000) })
        .prefault({}),
      incidentRecovery: positiveDuration.default(300_000),
    })
    .prefault({}),
  /** Time allowed after the traffic ends for in-flight orders to finish. */
  drain: duration.default(30_000),
  /** Time-series window. */
  window: positiveDuration.default(1000),
  thresholds: ThresholdsSchema.default({}),
  /** Settings for live runs only (card stock, scale); the live driver owns their meaning. */
  live: z
    .looseObject({ cardStock: count(0).optional(), durationScale: z.number().positive().optional() })
    .optional(),
});

/** What a scenario author writes (durations as strings or ms, defaults optional). */
export type ScenarioDefinition = z.input<typeof ScenarioSchema>;
/** A validated scenario: durations in ms, defaults filled. */
export type ScenarioSpec = z.output<typeof ScenarioSchema>;
export type { Traffic } from "../traffic/schema.ts";
export type ProviderSpec = ScenarioSpec["providers"][number];
export type LatencySpec = ProviderSpec["latency"];
export type FaultSpec = ScenarioSpec["faults"][number];
export type ClusterSpec = ScenarioSpec["cluster"];
export type RiskServiceSpec = NonNullable<ScenarioSpec["risk"]>;
export type NotificationServiceSpec = NonNullable<ScenarioSpec["notification"]>;
export type DemandHistorySpec = NonNullable<ScenarioSpec["demandHistory"]>;
