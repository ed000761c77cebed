// The CI-sized chaos run: 2 primary instances and a backup on a throwaway PostgreSQL, a short steady
// load during which primary-2 is killed and restarted, provider p2 blackholed, the database paused,
// the farm killed and restarted and the backup killed (brought back only for the audit); the audit
// afterwards must be clean (test/chaos/chaos.test.ts).
import { defineScenario } from "../define.ts";

export default defineScenario({
  name: "chaos-small",
  description:
    "CI chaos: 2 instances on PostgreSQL, one killed and restarted, p2 blackholed, DB paused, farm restarted",
  seed: 9,
  traffic: { executor: "constant-arrival-rate", rate: 80, duration: "16s" },
  skus: { count: 10 },
  providers: [
    { id: "p1", latency: { p50: "10ms", p99: "60ms" }, capacity: 200 },
    { id: "p2", latency: { p50: "10ms", p99: "60ms" }, capacity: 200 },
  ],
  faults: [{ at: "2s", provider: "p2", kind: "blackhole", duration: "8s" }],
  compare: { baseline: "adaptive", candidate: "adaptive" },
  cluster: { primary: { workers: 100 }, backup: { workers: 50 } },
  drain: "15s",
  thresholds: { duplicate_cards: ["count==0"] },
  live: {
    cardStock: 3000,
    requestTimeout: "15s",
    topology: { instances: 2, backup: true },
    chaos: [
      { at: "4s", action: "kill-instance", target: "primary-2", restartAfter: "2s" },
      { at: "9s", action: "pause-db", duration: "1s" },
      { at: "11s", action: "kill-farm", restartAfter: "1s" },
      // No restart: the driver brings it back for recovery before the audit.
      { at: "13s", action: "kill-instance", target: "backup" },
    ],
  },
});
