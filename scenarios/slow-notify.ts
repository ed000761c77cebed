// The delivery-notification service (the customer's email) answers in 2 s instead of ~80 ms for the
// whole run, at a steady 300 orders/s. Legacy sends it inside the worker before the slot is freed
// (the write-up's send_email()), so each order holds a worker 2 s longer and throughput falls to what
// 200 workers can pass; adaptive hands it to its outbox after delivery and keeps its throughput.
import { defineScenario } from "./define.ts";
import { riskService } from "./stage-models.ts";

export default defineScenario({
  name: "slow-notify",
  description: "Notification latency 2 s for the whole run at 300 orders/s: workers held vs an outbox",
  seed: 19,
  traffic: {
    executor: "ramping-arrival-rate",
    startRate: 100,
    stages: [
      { target: 300, duration: "10s" },
      { target: 300, duration: "1m20s" },
    ],
  },
  vipShare: 0.05,
  skus: { count: 100, zipfExponent: 1 },
  providers: [
    { id: "p1", latency: { p50: "40ms", p99: "200ms" }, capacity: 400, errorRate: 0.001 },
    { id: "p2", latency: { p50: "45ms", p99: "220ms" }, capacity: 400, errorRate: 0.001 },
    { id: "p3", latency: { p50: "50ms", p99: "250ms" }, capacity: 400, errorRate: 0.001 },
  ],
  risk: riskService(),
  notification: { latency: { dist: "deterministic", value: "2s" }, capacity: 2000 },
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
