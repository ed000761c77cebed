// A promotion: traffic ramps from an ordinary evening to a short 1500 orders/s peak while one
// provider degrades (slow, then timing out). The write-up's headline situation.
import { defineScenario } from "./define.ts";

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
  // Risk control and the delivery email (issue 18): a risk service answering in ~15 ms (p99 120 ms)
  // that denies a few orders in a thousand and holds fewer for review, and an email service at ~80 ms
  // (p99 800 ms). Legacy calls both inside the worker; adaptive checks risk with its own timeout and
  // sends the email from its outbox after delivery.
  risk: {
    latency: { p50: "15ms", p99: "120ms" },
    capacity: 600,
    errorRate: 0.001,
    denyRate: 0.003,
    reviewRate: 0.0005,
  },
  notification: { latency: { p50: "80ms", p99: "800ms" }, capacity: 2000, errorRate: 0.002 },
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
