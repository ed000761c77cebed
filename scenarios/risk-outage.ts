// The risk-control service stops answering (every check times out) for a minute in the middle of a
// steady 400 orders/s peak. Legacy checks risk synchronously in the worker with its provider timeout
// (3 s) and retries the whole attempt after 5 s, so its workers fill with waiting orders and P99
// climbs; adaptive times a check out after 300 ms, isolates the service on the health board, lets
// orders under its fail-open limit through (every SKU here costs less) and probes the service until
// it answers again.
import { defineScenario } from "./define.ts";
import { emailService, riskService } from "./stage-models.ts";

export default defineScenario({
  name: "risk-outage",
  description: "The risk service times out on every check for one minute in a 400 orders/s peak",
  seed: 18,
  traffic: {
    executor: "ramping-arrival-rate",
    startRate: 100,
    stages: [
      { target: 400, duration: "15s" },
      { target: 400, duration: "1m45s" },
      { target: 100, duration: "15s" },
    ],
  },
  vipShare: 0.05,
  skus: { count: 100, zipfExponent: 1, priceCents: 3000 },
  providers: [
    { id: "p1", latency: { p50: "40ms", p99: "200ms" }, capacity: 400, errorRate: 0.001 },
    { id: "p2", latency: { p50: "45ms", p99: "220ms" }, capacity: 400, errorRate: 0.001 },
    { id: "p3", latency: { p50: "50ms", p99: "250ms" }, capacity: 400, errorRate: 0.001 },
  ],
  risk: riskService(),
  notification: emailService(),
  faults: [{ at: "40s", provider: "risk", kind: "timeout", duration: "1m" }],
  compare: { baseline: "legacy", candidate: "adaptive" },
  cluster: {
    primary: { workers: 200, cores: 2 },
    backup: { workers: 100, cores: 2 },
    hopMs: "2ms",
  },
  drain: "30s",
  window: "1s",
  thresholds: {
    latency: ["p(99)<2000"],
    errors: ["rate<0.01"],
    duplicate_cards: ["count==0"],
  },
  live: { cardStock: 100_000, durationScale: 0.5 },
});
