// One provider stops answering (every call times out) for a minute in the middle of a steady peak.
// The adaptive configuration should isolate it, keep P99 low on the other providers, then probe it
// and readmit it once it answers again; legacy keeps sending it a third of the traffic.
import { defineScenario } from "./define.ts";

export default defineScenario({
  name: "provider-outage",
  description: "Provider p1 times out on every call for one minute in the middle of an 800 orders/s peak",
  seed: 7,
  traffic: {
    executor: "ramping-arrival-rate",
    startRate: 200,
    stages: [
      { target: 800, duration: "20s" },
      { target: 800, duration: "2m" },
      { target: 400, duration: "1m" },
    ],
  },
  vipShare: 0.05,
  skus: { count: 100, zipfExponent: 1 },
  providers: [
    { id: "p1", latency: { p50: "40ms", p99: "200ms" }, capacity: 400, errorRate: 0.001 },
    { id: "p2", latency: { p50: "45ms", p99: "220ms" }, capacity: 400, errorRate: 0.001 },
    { id: "p3", latency: { p50: "50ms", p99: "250ms" }, capacity: 400, errorRate: 0.001 },
  ],
  faults: [{ at: "50s", provider: "p1", kind: "timeout", duration: "1m" }],
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
  live: { cardStock: 200_000, durationScale: 0.5 },
});
