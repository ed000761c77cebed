// The risk-control and delivery-email models the built-in scenarios share (issue 18): a risk service
// answering in ~15 ms (p99 120 ms) that denies 3 orders in a thousand and holds 1 in 2,000 for review,
// and an email service at ~80 ms (p99 800 ms). Each scenario takes a copy, so one can change its own.
import type { ScenarioDefinition } from "./schema.ts";

export const riskService = (): NonNullable<ScenarioDefinition["risk"]> => ({
  latency: { p50: "15ms", p99: "120ms" },
  capacity: 600,
  errorRate: 0.001,
  denyRate: 0.003,
  reviewRate: 0.0005,
});

export const emailService = (): NonNullable<ScenarioDefinition["notification"]> => ({
  latency: { p50: "80ms", p99: "800ms" },
  capacity: 2000,
  errorRate: 0.002,
});
