// The traffic model's schema (zod): the four k6 executors as a scenario writes them, and the same executors
// as the live driver runs them (plus its in-flight bounds and graceful stop). Both types are derived from
// these schemas; nothing else declares an executor's shape. Durations are "30s"-style strings or ms in the
// input and ms in the output.
import { z } from "zod";
import { formatIssuePath } from "../server/core/issue-path.ts";
import { DURATION_HINT, formatDuration, tryParseDuration } from "./duration.ts";

/**
 * Bounds that keep a traffic runnable; the run as a whole (orders, memory) is checked before it starts
 * (simulator/limits.ts). Without them `duration: "1000000000s"` or `rate: 1e9` ran until killed.
 */
export const MAX_DURATION_MS = 7 * 24 * 3_600_000;
export const MAX_RATE = 1_000_000;

/** A duration: "30s", "2m", "1h", "500ms", "1m30s" or a number of milliseconds; validated to ms. */
export const duration = z
  .union([z.number(), z.string()], { error: DURATION_HINT })
  .transform((value, ctx) => {
    const ms = tryParseDuration(value);
    if (ms === undefined) {
      ctx.addIssue({ code: "custom", message: `${DURATION_HINT}, got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    if (ms > MAX_DURATION_MS) {
      ctx.addIssue({
        code: "custom",
        message: `at most ${formatDuration(MAX_DURATION_MS)} (${MAX_DURATION_MS} ms), got ${JSON.stringify(value)}`,
      });
      return z.NEVER;
    }
    return ms;
  });
export const positiveDuration = duration.refine((ms) => ms > 0, { message: "must be longer than 0" });

export const rate = z
  .number({ error: "expected a rate (a number >= 0)" })
  .min(0, "must be >= 0")
  .max(MAX_RATE, `at most ${MAX_RATE}`);
export const share = z
  .number({ error: "expected a share between 0 and 1" })
  .min(0, "must be between 0 and 1")
  .max(1, "must be between 0 and 1");
export const count = (min: number) =>
  z.number({ error: "expected an integer" }).int("expected an integer").min(min, `must be >= ${min}`);

const stage = z.strictObject({ target: rate, duration: positiveDuration });
const timeUnit = positiveDuration.default(1000);

const shapes = {
  constantArrivalRate: {
    executor: z.literal("constant-arrival-rate"),
    rate,
    timeUnit,
    duration: positiveDuration,
  },
  rampingArrivalRate: {
    executor: z.literal("ramping-arrival-rate"),
    startRate: rate.default(0),
    timeUnit,
    stages: z.array(stage).min(1, "needs at least one stage"),
  },
  constantVus: {
    executor: z.literal("constant-vus"),
    vus: count(1),
    duration: positiveDuration,
  },
  rampingVus: {
    executor: z.literal("ramping-vus"),
    startVUs: count(0).default(0),
    stages: z
      .array(z.strictObject({ target: count(0), duration: positiveDuration }))
      .min(1, "needs at least one stage"),
  },
  // An order log replayed (traffic/replay/, scenarios/README.md "Order logs"); SKUs and tiers come from it.
  replay: {
    executor: z.literal("replay"),
    /** The log, relative to the scenario file (loadScenario resolves it). */
    file: z.string({ error: "expected the order log's path" }).min(1, "expected the order log's path"),
    speed: z.number({ error: "expected a number > 0" }).gt(0, "must be > 0").optional(),
    peakRate: rate.refine((r) => r > 0, { message: "must be > 0" }).optional(),
    from: duration.optional(),
    to: positiveDuration.optional(),
    loop: count(1).default(1),
    readAhead: count(1).max(1_000_000, "at most 1000000").default(10_000),
    format: z.enum(["csv", "jsonl"], { error: 'format must be "csv" or "jsonl"' }).optional(),
    header: z.boolean().optional(),
    columns: z
      .strictObject({
        time: z.union([z.string().min(1), count(1)]).optional(),
        sku: z.union([z.string().min(1), count(1)]).optional(),
        tier: z.union([z.string().min(1), count(1)]).optional(),
        key: z.union([z.string().min(1), count(1)]).optional(),
        customer: z.union([z.string().min(1), count(1)]).optional(),
      })
      .optional(),
    /** Replayed times are multiplied by this (the live driver's --duration-scale sets it). */
    timeScale: z.number().gt(0, "must be > 0").default(1),
  },
};

/** speed and peakRate both set the replay's pace: one at most. */
function replayPace(c: { executor: string; speed?: number; peakRate?: number }, ctx: z.RefinementCtx): void {
  if (c.executor === "replay" && c.speed !== undefined && c.peakRate !== undefined)
    ctx.addIssue({ code: "custom", path: ["peakRate"], message: "give speed or peakRate, not both" });
}

const EXECUTOR_ERROR =
  'executor must be one of "constant-arrival-rate", "ramping-arrival-rate", "constant-vus", "ramping-vus", "replay"';

/** A scenario's traffic. */
export const TrafficSchema = z
  .discriminatedUnion(
    "executor",
    [
      z.strictObject(shapes.constantArrivalRate),
      z.strictObject(shapes.rampingArrivalRate),
      z.strictObject(shapes.constantVus),
      z.strictObject(shapes.rampingVus),
      z.strictObject(shapes.replay),
    ],
    { error: EXECUTOR_ERROR },
  )
  .superRefine(replayPace);
/** A validated traffic: durations and timeUnit in ms, defaults filled. */
export type Traffic = z.output<typeof TrafficSchema>;
export type TrafficDefinition = z.input<typeof TrafficSchema>;

/** Live only: how long iterations still running when the traffic ends may finish (k6 gracefulStop). */
const gracefulStop = { gracefulStop: duration.optional() };
/** Live only, arrival-rate executors: in-flight slots made up front, and the in-flight bound (k6 VUs). */
const vus = { preAllocatedVUs: count(1).optional(), maxVUs: count(1).optional() };

/** The live driver's executor: a traffic plus the live-only fields. */
export const ExecutorSchema = z
  .discriminatedUnion(
    "executor",
    [
      z.strictObject({ ...shapes.constantArrivalRate, ...vus, ...gracefulStop }),
      z.strictObject({ ...shapes.rampingArrivalRate, ...vus, ...gracefulStop }),
      z.strictObject({ ...shapes.constantVus, ...gracefulStop }),
      z.strictObject({ ...shapes.rampingVus, ...gracefulStop }),
      z.strictObject({ ...shapes.replay, ...vus, ...gracefulStop }),
    ],
    { error: EXECUTOR_ERROR },
  )
  .superRefine((c, ctx) => {
    replayPace(c, ctx);
    if (
      "maxVUs" in c &&
      c.maxVUs !== undefined &&
      c.preAllocatedVUs !== undefined &&
      c.maxVUs < c.preAllocatedVUs
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["maxVUs"],
        message: `must be >= preAllocatedVUs (${c.preAllocatedVUs}), got ${c.maxVUs}`,
      });
    }
  });
/** An executor as validated: ms everywhere, defaults filled. */
export type ExecutorConfig = z.output<typeof ExecutorSchema>;
/** An executor as written (durations as strings or ms, defaults optional); a Traffic is one too. */
export type ExecutorInput = z.input<typeof ExecutorSchema>;

/** Every error in an executor config as "path: message" (prefixed by `path`, e.g. "traffic."); empty when valid. */
export function validateExecutor(config: unknown, path = ""): string[] {
  const parsed = ExecutorSchema.safeParse(config);
  if (parsed.success) return [];
  return parsed.error.issues.map((i) => {
    const where = `${path}${formatIssuePath(i.path, "")}`.replace(/\.$/, "");
    return where === "" ? i.message : `${where}: ${i.message}`;
  });
}

/** The validated executor; throws one error listing every problem. */
export function parseExecutor(config: unknown): ExecutorConfig {
  const parsed = ExecutorSchema.safeParse(config);
  if (!parsed.success) throw new Error(`invalid executor config: ${validateExecutor(config).join("; ")}`);
  return parsed.data;
}
