// A promotion: traffic ramps from an ordinary evening to a short 1500 orders/s peak while one
// provider degrades (slow, then timing out). The write-up's headline situation.
import { defineScenario } from "./define.ts";
import { emailService, riskService } from "./stage-models.ts";

export default defineScenario({
  name: "promo-peak",
  description: "Ramp to a short 1500 orders/s promotion peak while provider p2 slows down and times out",
  seed: 42,
  traffic: {
    executor: "ramping-arrival-rate",
    startRate: 100,
    stages: [
      { target: 400, duration: "30s" },
      { target: 1500, duration: "30s" },
      { target: 1500, duration: "30s" },
      { target: 300, duration: "30s" },
    ],
  },
  vipShare: 0.05,
  skus: { count: 200, zipfExponent: 1.1 },
  demandHistory: { kind: "generated", days: 7, peakPerMinute: 60_000, troughPerMinute: 3_000 },
  providers: [
    { id: "p1", latency: { p50: "40ms", p99: "200ms" }, capacity: 400, errorRate: 0.002 },
    { id: "p2", latency: { p50: "50ms", p99: "250ms" }, capacity: 400, errorRate: 0.002 },
    { id: "p3", latency: { p50: "60ms", p99: "300ms" }, capacity: 300, errorRate: 0.002 },
  ],
  // Risk control and the delivery email (stage-models.ts). Legacy calls both inside the worker;
  // adaptive checks risk with its own timeout and sends the email from its outbox after delivery.
  risk: riskService(),
  notification: emailService(),
  faults: [
    { at: "50s", provider: "p2", kind: "latency", latencyMs: "800ms", duration: "15s" },
    { at: "65s", provider: "p2", kind: "timeout", probability: 0.5, duration: "15s" },
  ],
  compare: { baseline: "legacy", candidate: "adaptive" },
  cluster: {
    primary: { workers: 200, cores: 2 },
    backup: { workers: 100, cores: 2 },
    cpuCostMs: { accept: 0.2, allocate: 0.3, issue: 0.3, deliver: 0.2, retry: 0.2 },
    hopMs: "2ms",
  },
  drain: "30s",
  window: "1s",
  thresholds: {
    latency: ["p(99)<2000"],
    errors: ["rate<0.01"],
    duplicate_cards: ["count==0"],
  },
  live: { cardStock: 200_000, durationScale: 0.5 },
});
