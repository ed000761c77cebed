// The canary: a share of new orders, chosen by a stable hash of the order id, runs a candidate
// configuration beside the baseline, and a judge compares the two arms.
//
// What runs per order: the candidate's ORDER POLICY (provider timeout and slow-call threshold,
// provider selection, retry policy, stock check). Cluster-wide machinery (lanes and worker counts,
// routing/overflow, the health board, prewarm, hot-SKU preload) is shared and follows the baseline:
// both arms run through the same lanes at the same time, which is the simplest honest comparison
// (a candidate lane split would need its own capacity).
//
// Judge (on completed orders since the canary started; latency = submit to DELIVERED):
// - hold when either arm has fewer than minSamples completed orders;
// - roll back when the candidate's error rate exceeds the baseline's by more than errorRateMargin,
//   or when it is significantly slower: Mann-Whitney p < alpha, effect (P(candidate > baseline)) > 0.5
//   and the bootstrap CI of the P99 delta entirely above 0;
// - promote when it is significantly faster (p < alpha, effect < 0.5, CI entirely below 0), or
//   when it is not worse: CI upper bound <= nonInferiority x baseline P99 and its error rate is not
//   higher than the baseline's + errorRateMargin / 2;
// - hold otherwise (inconclusive).
// The CI is the two-sided 1 - 2 alpha interval, so each of its bounds is a one-sided alpha bound and
// each decision errs at most alpha: promoting as "not worse" a candidate worse by the margin, or as
// "faster" one that is not. (A fixed 95% CI made the non-inferiority test's error 2.5% whatever alpha.)
// Latency samples are bounded per arm (reservoir sampling, stream "canary"); counts are exact.
import type { DispatchConfig, OrderPolicy } from "./config.ts";
import type { RandomStream } from "./env.ts";
import { hashString } from "./random.ts";
import { bootstrapPercentileDiffCi } from "./stats/bootstrap.ts";
import { mannWhitneyU } from "./stats/mann-whitney.ts";
import { percentile } from "./stats/percentile.ts";
import type { OrderView } from "./types.ts";

export type CanaryDecision = "promote" | "hold" | "rollback" | "none";

export interface CanaryVerdict {
  id: string;
  decision: CanaryDecision;
  reason: string;
  baselineCount: number;
  candidateCount: number;
  baselineP99Ms: number;
  candidateP99Ms: number;
  p99DeltaMs: number;
  p99DeltaCi: [number, number];
  mannWhitneyP: number;
  effectSize: number;
  baselineErrorRate: number;
  candidateErrorRate: number;
}

/** Salt so the canary split is independent of other uses of the order-id hash. */
const CANARY_SALT = hashString("rushhour-canary");

/** Whether an order id falls in the canary share (stable: the same id always lands the same way). */
export function inCanaryShare(orderId: string, share: number): boolean {
  return hashString(orderId, CANARY_SALT) / 4294967296 < share;
}

class Arm {
  completed = 0;
  errors = 0;
  delivered = 0;
  readonly sample: number[] = [];

  add(view: OrderView, maxSamples: number, rng: RandomStream): void {
    this.completed++;
    if (view.state !== "DELIVERED") {
      this.errors++;
      return;
    }
    this.delivered++;
    const latency = view.timings.totalMs;
    if (this.sample.length < maxSamples) this.sample.push(latency);
    else {
      const j = Math.floor(rng.next() * this.delivered);
      if (j < maxSamples) this.sample[j] = latency;
    }
  }

  get errorRate(): number {
    return this.completed === 0 ? 0 : this.errors / this.completed;
  }
}

/** Judges two arms given as samples and counts (exported for tests and `rushhour compare`-like uses). */
export function judgeCanary(
  id: string,
  baseline: { latencies: number[]; completed: number; errors: number },
  candidate: { latencies: number[]; completed: number; errors: number },
  config: DispatchConfig["canary"],
  rng: RandomStream,
): CanaryVerdict {
  const baselineErrorRate = baseline.completed === 0 ? 0 : baseline.errors / baseline.completed;
  const candidateErrorRate = candidate.completed === 0 ? 0 : candidate.errors / candidate.completed;
  const verdict: CanaryVerdict = {
    id,
    decision: "hold",
    reason: "",
    baselineCount: baseline.completed,
    candidateCount: candidate.completed,
    baselineP99Ms: percentile(baseline.latencies, 0.99),
    candidateP99Ms: percentile(candidate.latencies, 0.99),
    p99DeltaMs: Number.NaN,
    p99DeltaCi: [Number.NaN, Number.NaN],
    mannWhitneyP: Number.NaN,
    effectSize: Number.NaN,
    baselineErrorRate,
    candidateErrorRate,
  };
  verdict.p99DeltaMs = verdict.candidateP99Ms - verdict.baselineP99Ms;
  const n = Math.min(baseline.completed, candidate.completed);
  if (n < config.minSamples) {
    verdict.reason = `too little data: ${n} of ${config.minSamples} completed orders in the smaller arm`;
    return verdict;
  }
  if (candidateErrorRate - baselineErrorRate > config.errorRateMargin) {
    verdict.decision = "rollback";
    verdict.reason = `candidate error rate ${fmtPct(candidateErrorRate)} exceeds baseline ${fmtPct(baselineErrorRate)} by more than ${fmtPct(config.errorRateMargin)}`;
  }
  if (baseline.latencies.length < 2 || candidate.latencies.length < 2) {
    if (verdict.decision !== "rollback") verdict.reason = "too few delivered orders to compare latencies";
    return verdict;
  }
  const mw = mannWhitneyU(baseline.latencies, candidate.latencies);
  verdict.mannWhitneyP = mw.p;
  verdict.effectSize = mw.commonLanguage;
  const ci = bootstrapPercentileDiffCi(
    baseline.latencies,
    candidate.latencies,
    0.99,
    config.bootstrapIterations,
    rng,
    1 - 2 * config.alpha,
  );
  verdict.p99DeltaCi = [ci.low, ci.high];
  if (verdict.decision === "rollback") return verdict;
  const significant = mw.p < config.alpha;
  if (significant && mw.commonLanguage > 0.5 && ci.low > 0) {
    verdict.decision = "rollback";
    verdict.reason = `candidate slower: p=${fmtP(mw.p)}, effect ${mw.commonLanguage.toFixed(3)}, P99 delta CI [${ci.low.toFixed(1)}, ${ci.high.toFixed(1)}] ms above 0`;
  } else if (significant && mw.commonLanguage < 0.5 && ci.high < 0) {
    verdict.decision = "promote";
    verdict.reason = `candidate faster: p=${fmtP(mw.p)}, effect ${mw.commonLanguage.toFixed(3)}, P99 delta CI [${ci.low.toFixed(1)}, ${ci.high.toFixed(1)}] ms below 0`;
  } else if (
    ci.high <= config.nonInferiority * verdict.baselineP99Ms &&
    candidateErrorRate <= baselineErrorRate + config.errorRateMargin / 2
  ) {
    verdict.decision = "promote";
    verdict.reason = `candidate not worse: P99 delta CI upper bound ${ci.high.toFixed(1)} ms within ${fmtPct(config.nonInferiority)} of baseline P99`;
  } else {
    verdict.reason = `inconclusive: p=${fmtP(mw.p)}, P99 delta CI [${ci.low.toFixed(1)}, ${ci.high.toFixed(1)}] ms`;
  }
  return verdict;
}

function fmtPct(x: number): string {
  return `${Math.round(x * 10000) / 100}%`;
}

function fmtP(p: number): string {
  return p < 1e-4 ? p.toExponential(2) : p.toFixed(4);
}

export class CanaryController {
  private id: string | null = null;
  private seq = 0;
  private share = 0;
  /** The candidate's order policy (config.ts validateCanaryCandidate refuses anything else). */
  candidate: OrderPolicy | null = null;
  private startedAt = 0;
  private baseline = new Arm();
  private canary = new Arm();
  private maxSamples = 5000;

  constructor(private readonly rng: RandomStream) {}

  get active(): boolean {
    return this.id !== null;
  }

  /** Starts a canary of `candidate` on `share` of new orders, keeping `maxSamples` latencies per arm. */
  start(candidate: OrderPolicy, share: number, maxSamples: number, now: number): string {
    this.id = `canary-${++this.seq}`;
    this.candidate = candidate;
    this.share = share;
    this.startedAt = now;
    this.maxSamples = maxSamples;
    this.baseline = new Arm();
    this.canary = new Arm();
    return this.id;
  }

  stop(): string | null {
    const id = this.id;
    this.id = null;
    this.candidate = null;
    return id;
  }

  /** Whether this new order runs the candidate. */
  assign(orderId: string): boolean {
    return this.id !== null && inCanaryShare(orderId, this.share);
  }

  /** Counts a terminal order into its arm (orders submitted before the canary started are ignored). */
  record(view: OrderView): void {
    if (this.id === null || view.submittedAt < this.startedAt) return;
    (view.canary ? this.canary : this.baseline).add(view, this.maxSamples, this.rng);
  }

  verdict(config: DispatchConfig["canary"], rng: RandomStream): CanaryVerdict {
    if (this.id === null) {
      return {
        id: "",
        decision: "none",
        reason: "no canary is running",
        baselineCount: 0,
        candidateCount: 0,
        baselineP99Ms: Number.NaN,
        candidateP99Ms: Number.NaN,
        p99DeltaMs: Number.NaN,
        p99DeltaCi: [Number.NaN, Number.NaN],
        mannWhitneyP: Number.NaN,
        effectSize: Number.NaN,
        baselineErrorRate: 0,
        candidateErrorRate: 0,
      };
    }
    return judgeCanary(
      this.id,
      { latencies: this.baseline.sample, completed: this.baseline.completed, errors: this.baseline.errors },
      { latencies: this.canary.sample, completed: this.canary.completed, errors: this.canary.errors },
      config,
      rng,
    );
  }
}
