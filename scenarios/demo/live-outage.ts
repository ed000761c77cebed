// The demo's short live run: a provider outage at a rate this 2-core machine serves comfortably, so the
// live half of the demo shows the dispatch behaviour (isolation, retries, recovery) rather than the
// machine's saturation, in about half a minute per configuration.
import { defineScenario } from "../define.ts";

export default defineScenario({
  name: "live-outage",
  description: "Live: 150 orders/s for 16 s while provider p1 times out for 6 s",
  seed: 11,
  traffic: { executor: "constant-arrival-rate", rate: 150, duration: "16s" },
  vipShare: 0.05,
  skus: { count: 50, zipfExponent: 1 },
  providers: [
    { id: "p1", latency: { p50: "40ms", p99: "200ms" }, capacity: 200, errorRate: 0.001 },
    { id: "p2", latency: { p50: "45ms", p99: "220ms" }, capacity: 200, errorRate: 0.001 },
    { id: "p3", latency: { p50: "50ms", p99: "250ms" }, capacity: 200, errorRate: 0.001 },
  ],
  faults: [{ at: "5s", provider: "p1", kind: "timeout", duration: "6s" }],
  compare: { baseline: "legacy", candidate: "adaptive" },
  cluster: {
    primary: { workers: 200, cores: 2 },
    backup: { workers: 100, cores: 2 },
    hopMs: "2ms",
  },
  drain: "6s",
  window: "1s",
  thresholds: {
    latency: ["p(99)<2000"],
    errors: ["rate<0.01"],
    duplicate_cards: ["count==0"],
  },
  live: { cardStock: 20_000, durationScale: 1 },
});
