// A VIP campaign: the VIP share jumps from 5% to 40% for 40 seconds while the shop is busy. VIP orders
// have their own lane in the adaptive configuration; in legacy they queue behind everyone.
import { defineScenario } from "./define.ts";

export default defineScenario({
  name: "vip-surge",
  description: "VIP share jumps from 5% to 40% for 40 s during a 1000 orders/s peak with a slow provider",
  seed: 11,
  traffic: {
    executor: "ramping-arrival-rate",
    startRate: 200,
    stages: [
      { target: 1000, duration: "30s" },
      { target: 1000, duration: "60s" },
      { target: 200, duration: "30s" },
    ],
  },
  vipShare: 0.05,
  vipSurges: [{ at: "40s", duration: "40s", share: 0.4 }],
  skus: { count: 150, zipfExponent: 1 },
  providers: [
    { id: "p1", latency: { p50: "40ms", p99: "200ms" }, capacity: 400, errorRate: 0.002 },
    { id: "p2", latency: { p50: "50ms", p99: "250ms" }, capacity: 400, errorRate: 0.002 },
    { id: "p3", latency: { p50: "60ms", p99: "300ms" }, capacity: 300, errorRate: 0.002 },
  ],
  faults: [{ at: "45s", provider: "p3", kind: "latency", latencyMs: "600ms", duration: "30s" }],
  compare: { baseline: "legacy", candidate: "adaptive" },
  cluster: {
    primary: { workers: 200, cores: 2 },
    backup: { workers: 100, cores: 2 },
    hopMs: "2ms",
  },
  drain: "30s",
  window: "1s",
  thresholds: {
    latency_vip: ["p(99)<1000"],
    latency: ["p(99)<2000"],
    duplicate_cards: ["count==0"],
  },
  live: { cardStock: 150_000, durationScale: 0.5 },
});
