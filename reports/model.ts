// The plain, chart-ready view of one run that every renderer reads. It is deliberately independent of the
// RunResult JSON schema (reports/run-result.ts): reports/from-run-result.ts adapts one to the other, so a
// schema change touches one file and the charts, tables and tests keep working on plain arrays.

/** A time window's start, in seconds from the start of the run. */
export type Seconds = number;

export interface FaultWindow {
  start: Seconds;
  end: Seconds;
  label: string;
}

export interface ProviderBand {
  start: Seconds;
  end: Seconds;
  state: string;
}

/** One replication's headline numbers: what the before/after table and the statistics work on. */
export interface ReplicationSummary {
  seed: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  peakThroughput: number;
  cpuPeak: number;
  errorRate: number;
  retries: number;
  /** The business rows (absent in RunResults written before them): goodput orders/s, per-day counts. */
  goodputPeak?: number;
  goodputMean?: number;
  interventionsPerDay?: number;
  complaintRiskPerDay?: number;
}

export interface ThresholdOutcome {
  metric: string;
  expression: string;
  ok: boolean;
  actual?: number;
}

export type QuantileKey = "p50Ms" | "p95Ms" | "p99Ms";

export interface RunView {
  /** "promo-peak / adaptive" */
  label: string;
  scenario: string;
  config: string;
  /** baseline / candidate of the scenario's comparison, or single. */
  role: "baseline" | "candidate" | "single";
  kind: "sim" | "load";
  windowSeconds: number;
  /** Window start times; every per-window array below has the same length. */
  time: Seconds[];
  /** Delivered orders per second. */
  throughput: number[];
  /**
   * Orders submitted in each window and delivered within the latency objective, per second (goodput); absent
   * in RunResults written before it.
   */
  goodput?: number[];
  p50Ms: number[];
  p95Ms: number[];
  p99Ms: number[];
  /** Failed or rejected orders per second. */
  errors: number[];
  /** Retries per second. */
  retries: number[];
  /** Route switches per window. */
  routeSwitches: number[];
  /** Lane -> queue depth per window. */
  queueDepth: Record<string, number[]>;
  /** Cluster -> utilisation 0..1 per window. */
  cpu: Record<string, number[]>;
  /** Provider -> contiguous state bands. */
  providers: Record<string, ProviderBand[]>;
  faults: FaultWindow[];
  /** Whole-run latency distribution: [quantile, latency ms], quantile ascending. */
  distribution: Array<[number, number]>;
  /** Deterministic latency sample drawn from the whole-run histogram, for rank tests. */
  latencySample: number[];
  /**
   * Whole-run order-statistic 95% intervals of P50/P95/P99 (latencies at the ranks nq -/+ 1.96 sqrt(nq(1-q))),
   * used for the change's interval when there is only one replication per side.
   */
  intervals: Partial<Record<QuantileKey, { lowMs: number; highMs: number; count: number }>>;
  counters: Record<string, number>;
  replications: ReplicationSummary[];
  thresholds: ThresholdOutcome[];
  provenance: Record<string, string>;
  /** Live topology runs: the processes. */
  topology?: Array<{ name: string; address: string }>;
  /** Live chaos runs: every action taken. */
  chaos?: Array<{ t: Seconds; action: string; target: string; outcome: string; recoveredT?: Seconds }>;
  /** Live topology runs: the store audit after recovery. */
  audit?: { pass: boolean; problems: string[]; summary: string };
  /** Files beside the run (a profile...): as written in the RunResult, resolved by loadRuns to absolute paths. */
  artifacts?: Array<{ label: string; path: string }>;
}
