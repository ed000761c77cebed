// RunResult: the one versioned result format written by `rushhour sim` and `rushhour load` and read by
// every report (docs/ARCHITECTURE.md rule R1). Conventions:
// - times in windows and events are SECONDS from the start of the run (`t`); latencies are MILLISECONDS;
//   utilisation/CPU is a fraction 0..1; rates are per second.
// - `provenance` holds the only non-deterministic fields (wall-clock timestamps, wall time, host), so
//   two simulations with the same seed are byte-identical once `provenance` is removed.
// - `series` and `events` describe ONE replication (the first, `seriesReplication`), so a chart shows a
//   coherent trajectory; `histograms` and `counters` are merged/summed over ALL replications;
//   `summary` gives the mean and 95% confidence interval across replications; `perReplication` holds
//   each replication's point values (for paired comparisons between configurations run with the same seeds).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";
import { inputShapeViolations } from "../server/core/input-shape.ts";
import { formatIssuePath } from "../server/core/issue-path.ts";
import { ShardSchema } from "./shard.ts";

export const RUN_RESULT_SCHEMA_VERSION = 1;

const num = z.number().finite();
const nonNeg = num.min(0);

/** A mean with its 95% confidence interval across replications (lo = hi = mean for one replication). */
export const CiSchema = z.object({ mean: num, lo: num, hi: num, n: z.number().int().min(1) });
export type Ci = z.infer<typeof CiSchema>;

export const ProviderWindowSchema = z.object({
  id: z.string(),
  /** HEALTHY | SUB_HEALTHY | ISOLATED | PROBING (or a driver-specific state string). */
  state: z.string(),
  /** Share of traffic routed to this provider (0..1, as reported by the core). */
  weight: nonNeg,
  /** Calls in flight at the end of the window. */
  outstanding: nonNeg,
});
export type ProviderWindow = z.infer<typeof ProviderWindowSchema>;

/** One window of the time series; the same shape for sim and live. */
export const WindowSchema = z.object({
  /** Window start, seconds from run start. */
  t: nonNeg,
  /** Orders delivered per second in this window. */
  throughput: nonNeg,
  /** Orders offered (submitted or attempted) per second in this window. */
  offeredRate: nonNeg,
  /** Latency (submit to delivered) of orders delivered in this window, ms; 0 when none. */
  p50: nonNeg,
  p95: nonNeg,
  p99: nonNeg,
  max: nonNeg,
  /** Counts in this window. */
  submitted: nonNeg,
  delivered: nonNeg,
  errors: nonNeg,
  rejected: nonNeg,
  /** Live only: requests the driver could not start in time (0 in simulation). */
  dropped: nonNeg,
  retries: nonNeg,
  /** Route switches during this window. */
  routeSwitches: nonNeg,
  /** Queue depth per lane at the end of the window (lane names: vip, default, overflow, or cluster:lane). */
  queueDepth: z.record(z.string(), nonNeg),
  /** Orders in flight (accepted, not terminal) at the end of the window. */
  inFlight: nonNeg,
  /** CPU utilisation per cluster (primary, backup) over the window, 0..1. */
  cpu: z.record(z.string(), nonNeg),
  /** Whether the router sent new orders to the backup cluster at the end of the window. */
  overflowActive: z.boolean(),
  providers: z.array(ProviderWindowSchema),
  /** Live only: event-loop utilisation of the server, 0..1. */
  eventLoop: nonNeg.optional(),
  // The business rows (results/business.ts), absent in files written before them. Counts in this window;
  // goodput is onTime / windowSeconds. Live windows judge lateness by the standard tier's patience (the
  // driver's window histograms do not split by tier; the whole-run counters do).
  /**
   * Orders SUBMITTED in this window and delivered within the scenario's latency objective (live: placed in
   * their submission window from their latency, to within a window).
   */
  onTime: nonNeg.optional(),
  /** Manual interventions (FAILED, REVIEW, unfinished at the end, stranded cards, incidents past their recovery allowance). */
  interventions: nonNeg.optional(),
  /** Complaint-risk orders (failed, rejected, denied by error, unfinished, delivered beyond patience). */
  complaintRisk: nonNeg.optional(),
});
export type RunWindow = z.infer<typeof WindowSchema>;

export const CountersSchema = z.object({
  submitted: nonNeg,
  delivered: nonNeg,
  failed: nonNeg,
  rejected: nonNeg,
  retried: nonNeg,
  dropped: nonNeg,
  /** Cards handed to more than one order: must be 0. */
  duplicateCards: nonNeg,
  cacheHits: nonNeg,
  routeSwitches: nonNeg,
  timeouts: nonNeg,
  /** Orders still in flight when the run ended (after the drain); they count as errors. */
  unfinished: nonNeg.optional(),
  /** Orders the risk service denied (terminal DENIED, card released); absent in runs without a risk stage. */
  denied: nonNeg.optional(),
  /** Orders held for manual risk review (terminal REVIEW, card held); absent in runs without a risk stage. */
  review: nonNeg.optional(),
  /** Milliseconds all finished orders spent in risk checks (StageTimings.riskMs summed); runs with a risk stage. */
  riskMs: nonNeg.optional(),
  /** Milliseconds all finished orders waited for their notification (legacy's inline send; 0 with the outbox). */
  notifyMs: nonNeg.optional(),
  // The business rows (results/business.ts); absent in files written before them.
  /** Delivered within the latency objective. */
  onTime: nonNeg.optional(),
  /** Delivered slower than the tier's patience. */
  late: nonNeg.optional(),
  /** Denied because the risk service erred (not by its verdict). */
  deniedByError: nonNeg.optional(),
  /** Provider incidents still open after the objective's incidentRecovery. */
  unrecoveredIncidents: nonNeg.optional(),
  /** Live topology runs: cards stranded per the store audit (failed orders holding a card, orders never finished). */
  strandedCards: nonNeg.optional(),
  /** failed + review + unfinished + strandedCards + unrecoveredIncidents. */
  interventions: nonNeg.optional(),
  /** failed + rejected + deniedByError + unfinished + late. */
  complaintRisk: nonNeg.optional(),
});
export type RunCounters = z.infer<typeof CountersSchema>;

/** Point values of one replication (or of one live run). */
export const PointSummarySchema = z.object({
  throughputPeak: nonNeg,
  throughputMean: nonNeg,
  p50: nonNeg,
  p95: nonNeg,
  p99: nonNeg,
  p999: nonNeg,
  max: nonNeg,
  /** Peak window CPU per cluster, 0..1. */
  cpuPeak: z.record(z.string(), nonNeg),
  /** (failed + rejected) / submitted. */
  errorRate: nonNeg,
  retries: nonNeg,
  // The business rows; absent in files written before them.
  /** Orders delivered within the latency objective per second: busiest window, and over the traffic. */
  goodputPeak: nonNeg.optional(),
  goodputMean: nonNeg.optional(),
  /** Counts in this run, and scaled to a day (RunResult.business says how). */
  interventions: nonNeg.optional(),
  complaintRisk: nonNeg.optional(),
  interventionsPerDay: nonNeg.optional(),
  complaintRiskPerDay: nonNeg.optional(),
});
export type PointSummary = z.infer<typeof PointSummarySchema>;

export const SummarySchema = z.object({
  throughputPeak: CiSchema,
  throughputMean: CiSchema,
  p50: CiSchema,
  p95: CiSchema,
  p99: CiSchema,
  p999: CiSchema,
  max: CiSchema,
  cpuPeak: z.record(z.string(), CiSchema),
  errorRate: CiSchema,
  retries: CiSchema,
  goodputPeak: CiSchema.optional(),
  goodputMean: CiSchema.optional(),
  interventionsPerDay: CiSchema.optional(),
  complaintRiskPerDay: CiSchema.optional(),
});
export type RunSummary = z.infer<typeof SummarySchema>;

export const ReplicationSchema = z.object({
  replication: z.number().int().min(0),
  seed: z.number().int(),
  summary: PointSummarySchema,
  counters: CountersSchema,
  /** This replication's overall latency histogram (encoded, see results/histogram.ts). */
  histogram: z.string(),
});
export type ReplicationResult = z.infer<typeof ReplicationSchema>;

export const EVENT_KINDS = ["health", "route", "hot-sku", "incident", "fault", "chaos", "note"] as const;
export const RunEventSchema = z.object({
  /** Seconds from run start. */
  t: nonNeg,
  kind: z.enum(EVENT_KINDS),
  /** One human-readable line. */
  message: z.string(),
  providerId: z.string().optional(),
  /** health: from/to states; fault: fault kind in `to`. */
  from: z.string().optional(),
  to: z.string().optional(),
  /** For events with a duration (a fault window), its end, seconds from run start (for shading). */
  endT: nonNeg.optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});
export type RunEvent = z.infer<typeof RunEventSchema>;

export const ThresholdResultSchema = z.object({
  /** The metric name as written in the scenario (e.g. "latency", "errors", "duplicate_cards"). */
  metric: z.string(),
  /** The k6-style expression (e.g. "p(99)<2000"). */
  expression: z.string(),
  /** The observed value the expression was judged on (NaN is not allowed: null when unavailable). */
  observed: num.nullable(),
  pass: z.boolean(),
});
export type ThresholdResult = z.infer<typeof ThresholdResultSchema>;

/** One chaos action of a live run (load/chaos.ts): what was done to which process, when, and how it went. */
export const ChaosActionSchema = z.object({
  /** Seconds from run start. */
  t: nonNeg,
  action: z.string(),
  target: z.string(),
  /** "ok", or what went wrong. */
  outcome: z.string(),
  /** Seconds from run start when the target was back (restarted, resumed); absent if it never was. */
  recoveredT: nonNeg.optional(),
});
export type ChaosAction = z.infer<typeof ChaosActionSchema>;

/** The store audit after a topology run has recovered (load/audit.ts); every count must be 0. */
export const StoreAuditSchema = z.object({
  pass: z.boolean(),
  duplicateCards: nonNeg,
  nonTerminalOrders: nonNeg,
  failedHoldingCards: nonNeg,
  deliveredWithoutCard: nonNeg,
  totalOrders: nonNeg,
  totalCards: nonNeg,
  /** Seconds spent waiting for unfinished orders to drain before the audit. */
  drainSeconds: nonNeg,
  problems: z.array(z.string()),
});
export type StoreAuditResult = z.infer<typeof StoreAuditSchema>;

export const RunResultSchema = z.object({
  schemaVersion: z.literal(RUN_RESULT_SCHEMA_VERSION),
  kind: z.enum(["sim", "load"]),
  scenario: z.object({
    name: z.string().min(1),
    description: z.string(),
    /** The scenario object as given (durations as written). */
    definition: z.unknown(),
  }),
  config: z.object({
    /** Preset name or config file path as given. */
    name: z.string().min(1),
    /** baseline / candidate of the scenario's comparison, or single when run alone. */
    role: z.enum(["baseline", "candidate", "single"]),
    /** The full resolved configuration. */
    definition: z.unknown(),
  }),
  seeds: z.object({ base: z.number().int(), replications: z.array(z.number().int()) }),
  replications: z.number().int().min(1),
  windowSeconds: num.positive(),
  /** Run length covered by the series (traffic plus drain), seconds. */
  durationSeconds: nonNeg,
  seriesReplication: z.number().int().min(0),
  versions: z.object({ rushhour: z.string(), node: z.string() }),
  /** The exact command line (argv after `node`), e.g. ["rushhour", "sim", "promo-peak"]. */
  command: z.array(z.string()),
  provenance: z.object({
    startedAt: z.string(),
    finishedAt: z.string(),
    wallSeconds: nonNeg.optional(),
    host: z.string().optional(),
  }),
  series: z.array(WindowSchema),
  histograms: z.object({
    overall: z.string(),
    byLane: z.record(z.string(), z.string()),
    /** e.g. "vip", "standard". */
    byCohort: z.record(z.string(), z.string()),
    /**
     * Delivered orders' latency by stage (results/stages.ts: allocating, issuing, core, outside), for the
     * twin's stage table; absent in runs recorded before it.
     */
    byStage: z.record(z.string(), z.string()).optional(),
  }),
  counters: CountersSchema,
  summary: SummarySchema,
  perReplication: z.array(ReplicationSchema).min(1),
  events: z.array(RunEventSchema),
  thresholds: z.array(ThresholdResultSchema),
  /** Live runs with a topology: the processes (name and address). */
  topology: z.array(z.object({ name: z.string(), address: z.string() })).optional(),
  /** Live runs with a chaos schedule: every action taken. */
  chaos: z.array(ChaosActionSchema).optional(),
  /** Live runs with a topology: the store audit after recovery (a failing audit fails the run). */
  audit: StoreAuditSchema.optional(),
  /** Simulated runs with a calibration profile (scenarios/calibration-profile.ts): which file, its hash, where it was measured. */
  calibration: z
    .object({ path: z.string(), sha256: z.string(), measured: z.record(z.string(), z.unknown()) })
    .optional(),
  /** Live runs with load --trace: the slowest delivered orders and the trace ids they were sent with. */
  slowestOrders: z
    .array(z.object({ latencyMs: nonNeg, traceId: z.string().regex(/^[0-9a-f]{32}$/), iteration: nonNeg }))
    .max(100)
    .optional(),
  /** The objective the business rows were counted against, and how counts became per-day figures. */
  business: z
    .object({
      objective: z.object({
        latencyMs: nonNeg,
        patienceMs: z.object({ standard: nonNeg, vip: nonNeg }),
        incidentRecoveryMs: nonNeg,
      }),
      ordersPerDay: nonNeg,
      perDayBasis: z.string(),
    })
    .optional(),
  /** Files written beside the run (e.g. a clinic profile), relative to the RunResult's folder. */
  artifacts: z.array(z.object({ label: z.string(), path: z.string() })).optional(),
  /** A partial result of a sharded run (results/shard.ts), until `rushhour merge` joins the shards. */
  shard: ShardSchema.optional(),
});
export type RunResult = z.infer<typeof RunResultSchema>;

export class RunResultError extends Error {
  override name = "RunResultError";
  constructor(
    message: string,
    readonly problems: string[],
  ) {
    super(message);
  }
}

/** Parses a RunResult from a JSON string or an already-parsed value; throws one error listing every problem. */
export function parseRunResult(json: unknown, source = "RunResult"): RunResult {
  let value = json;
  if (typeof json === "string") {
    try {
      value = JSON.parse(json);
    } catch (err) {
      throw new RunResultError(`${source}: not valid JSON (${(err as Error).message})`, []);
    }
  }
  if (
    typeof value === "object" &&
    value !== null &&
    "schemaVersion" in value &&
    (value as { schemaVersion: unknown }).schemaVersion !== RUN_RESULT_SCHEMA_VERSION
  ) {
    const v = (value as { schemaVersion: unknown }).schemaVersion;
    throw new RunResultError(
      `${source}: schemaVersion ${JSON.stringify(v)} is not supported (this rushhour reads ${RUN_RESULT_SCHEMA_VERSION})`,
      [],
    );
  }
  // Reserved keys (which the schema would drop silently), too-deep nesting, oversized lists: by path.
  const shape = inputShapeViolations(value);
  if (shape.length > 0) {
    const problems = shape.map((v) => `${v.path}: ${v.message}`);
    throw new RunResultError(`${source} is not a valid RunResult:\n  ${problems.join("\n  ")}`, problems);
  }
  const parsed = RunResultSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${formatIssuePath(i.path)}: ${i.message}`);
    throw new RunResultError(`${source} is not a valid RunResult:\n  ${problems.join("\n  ")}`, problems);
  }
  return parsed.data;
}

export function readRunResult(path: string): RunResult {
  return parseRunResult(readFileSync(path, "utf8"), path);
}

/** Validates and writes a RunResult as pretty JSON (creating the directory). */
export function writeRunResult(path: string, result: RunResult): void {
  const valid = parseRunResult(result);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(valid, null, 2)}\n`);
}

/** The result without its non-deterministic part, for determinism checks. */
export function withoutProvenance(result: RunResult): Omit<RunResult, "provenance"> {
  const { provenance: _drop, ...rest } = result;
  return rest;
}
