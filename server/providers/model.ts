// What a simulated provider is: a latency model (lognormal fitted to a median and a 99th
// percentile), a capacity (concurrent calls before queueing) and a base error rate. Shared by the
// in-process providers of `rushhour serve` and the farm of `rushhour providers`.
import { z } from "zod";
import type { RandomStream } from "../core/env.ts";
import { inputShapeViolations } from "../core/input-shape.ts";
import { formatIssuePath } from "../core/issue-path.ts";
import type { FieldViolation } from "../core/types.ts";

export interface ProviderModel {
  id: string;
  /** Median latency, ms. 0 with p99Ms 0 means answer on the next loop turn. */
  p50Ms: number;
  /** 99th percentile latency, ms (>= p50Ms). */
  p99Ms: number;
  /** Concurrent calls served; more wait in a FIFO queue. */
  capacity: number;
  /** Probability that a call fails with a provider error. */
  errorRate: number;
}

/** The farm's risk service: a provider-like model whose answered checks deny or ask for review at these shares. */
export interface RiskModel extends ProviderModel {
  denyRate: number;
  reviewRate: number;
}

/** What a farm serves: its providers and, optionally, a risk service and a notification service. */
export interface FarmSpec {
  providers: ProviderModel[];
  risk?: RiskModel;
  notification?: ProviderModel;
}

const modelFields = {
  id: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, "1-64 characters of [A-Za-z0-9._:-]"),
  p50Ms: z.number().min(0).max(600_000),
  p99Ms: z.number().min(0).max(600_000),
  capacity: z.number().int().min(1).max(100_000),
  errorRate: z.number().min(0).max(1),
};
const p99AtLeastP50: [(m: { p50Ms: number; p99Ms: number }) => boolean, { message: string; path: string[] }] =
  [(m) => m.p99Ms >= m.p50Ms, { message: "p99Ms must be >= p50Ms", path: ["p99Ms"] }];

const modelSchema = z
  .object(modelFields)
  .strict()
  .refine(...p99AtLeastP50);

const riskSchema = z
  .object({
    ...modelFields,
    id: modelFields.id.default("risk"),
    denyRate: z.number().min(0).max(1).default(0),
    reviewRate: z.number().min(0).max(1).default(0),
  })
  .strict()
  .refine(...p99AtLeastP50)
  .refine((m) => m.denyRate + m.reviewRate <= 1, {
    message: "denyRate + reviewRate must be <= 1",
    path: ["reviewRate"],
  });

const notificationSchema = z
  .object({ ...modelFields, id: modelFields.id.default("notify") })
  .strict()
  .refine(...p99AtLeastP50);

const specSchema = z
  .object({
    providers: z.array(modelSchema).min(1).max(256),
    risk: riskSchema.optional(),
    notification: notificationSchema.optional(),
  })
  .strict()
  .refine(
    (s) => {
      const ids = [...s.providers.map((p) => p.id), s.risk?.id, s.notification?.id].filter(
        (id) => id !== undefined,
      );
      return new Set(ids).size === ids.length;
    },
    // Faults name providers and services by id alike, so one id must mean one thing.
    { message: "provider, risk and notification ids must be unique", path: ["providers"] },
  );

/** Validates a provider spec ({ providers: [...] } or a bare array), reporting every error with its path. */
export function validateProviderSpec(
  input: unknown,
): { ok: true; providers: ProviderModel[] } | { ok: false; errors: FieldViolation[] } {
  const result = validateFarmSpec(input);
  return result.ok ? { ok: true, providers: result.spec.providers } : result;
}

/**
 * Validates a farm spec ({ providers: [...], risk?: {...}, notification?: {...} } or a bare array of
 * providers), reporting every error with its path.
 */
export function validateFarmSpec(
  input: unknown,
): { ok: true; spec: FarmSpec } | { ok: false; errors: FieldViolation[] } {
  const wrapped = Array.isArray(input) ? { providers: input } : input;
  const shape = inputShapeViolations(wrapped);
  if (shape.length > 0) return { ok: false, errors: shape };
  const parsed = specSchema.safeParse(wrapped);
  if (parsed.success) {
    const { providers, risk, notification } = parsed.data;
    return {
      ok: true,
      spec: {
        providers,
        ...(risk === undefined ? {} : { risk }),
        ...(notification === undefined ? {} : { notification }),
      },
    };
  }
  return {
    ok: false,
    errors: parsed.error.issues.map((issue) => ({
      path: formatIssuePath(issue.path),
      message: issue.message,
    })),
  };
}

/** `count` providers p1..pN with a realistic spread: a fast one, typical ones and a slow one. */
export function defaultProviders(count: number): ProviderModel[] {
  const shapes = [
    { p50Ms: 20, p99Ms: 120 },
    { p50Ms: 30, p99Ms: 180 },
    { p50Ms: 25, p99Ms: 150 },
    { p50Ms: 45, p99Ms: 300 },
  ];
  return Array.from({ length: count }, (_, i) => {
    const shape = shapes[i % shapes.length] ?? { p50Ms: 30, p99Ms: 180 };
    return { id: `p${i + 1}`, ...shape, capacity: 64, errorRate: 0.002 };
  });
}

/** `count` providers that answer at once and never fail: for throughput benchmarks. */
export function zeroLatencyProviders(count: number): ProviderModel[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `p${i + 1}`,
    p50Ms: 0,
    p99Ms: 0,
    capacity: 100_000,
    errorRate: 0,
  }));
}

/** z of the standard normal at 0.99. */
const Z99 = 2.326347874;

/** A lognormal sampler with the model's median and 99th percentile (Box-Muller on a seeded stream). */
export function latencySampler(
  model: Pick<ProviderModel, "p50Ms" | "p99Ms">,
  random: RandomStream,
): () => number {
  if (model.p50Ms <= 0) return () => 0;
  const mu = Math.log(model.p50Ms);
  const sigma = model.p99Ms > model.p50Ms ? Math.log(model.p99Ms / model.p50Ms) / Z99 : 0;
  return () => {
    if (sigma === 0) return model.p50Ms;
    const u1 = 1 - random.next();
    const u2 = random.next();
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    return Math.exp(mu + sigma * z);
  };
}
