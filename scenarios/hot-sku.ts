// A flash sale: one SKU (rank 5 in the usual mix) suddenly takes 70% of all orders for a minute. The
// card store serialises operations on one SKU's rows (the `store` row-lock model), so the hot SKU's
// stock checks and claims queue in the store. The adaptive configuration detects the SKU as hot (a
// hot-sku event) and answers its stock checks from memory, which takes the SKU's rows below saturation;
// legacy keeps asking the store and the SKU's queue grows for as long as the sale lasts.
import { defineScenario } from "./define.ts";

export default defineScenario({
  name: "hot-sku",
  description: "One SKU suddenly takes 70% of 900 orders/s for a minute (flash sale)",
  seed: 5,
  traffic: {
    executor: "ramping-arrival-rate",
    startRate: 200,
    stages: [
      { target: 900, duration: "20s" },
      { target: 900, duration: "80s" },
      { target: 200, duration: "20s" },
    ],
  },
  vipShare: 0.05,
  skus: { count: 300, zipfExponent: 0.9, hotspots: [{ at: "30s", duration: "60s", sku: 5, share: 0.7 }] },
  demandHistory: { kind: "generated", days: 7, peakPerMinute: 40_000, troughPerMinute: 2_000 },
  providers: [
    { id: "p1", latency: { p50: "40ms", p99: "200ms" }, capacity: 400, errorRate: 0.002 },
    { id: "p2", latency: { p50: "50ms", p99: "250ms" }, capacity: 400, errorRate: 0.002 },
    { id: "p3", latency: { p50: "60ms", p99: "300ms" }, capacity: 300, errorRate: 0.002 },
  ],
  store: { claimMs: "0.8ms", stockMs: "0.6ms", deliverMs: "0.3ms", releaseMs: "0.3ms" },
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
  live: { cardStock: 150_000, durationScale: 0.5 },
});
