// Every chart of the run report, in page order, with the one-paragraph "how to read it" shown beside it.
import type { RunView } from "../model.ts";
import { cpuChart } from "./cpu.ts";
import { latencyDistributionChart } from "./latency-distribution.ts";
import { latencyOverTimeChart } from "./latency-over-time.ts";
import { providerHealthChart } from "./provider-health.ts";
import { queueDepthChart } from "./queue-depth.ts";
import { retriesChart } from "./retries.ts";
import { throughputChart } from "./throughput.ts";

export interface ChartDef {
  id: string;
  title: string;
  howToRead: string;
  render(runs: RunView[]): string;
}

export const CHARTS: ChartDef[] = [
  {
    id: "throughput",
    title: "Throughput over time",
    howToRead:
      "Delivered orders per second in each window (solid) and goodput (dashed): orders submitted in the window " +
      "and delivered within the scenario's latency objective. Where the lines follow the offered load the system " +
      "keeps up; a plateau below the offered rate is saturation. A solid spike with no dashed one is a backlog " +
      "drained late, not capacity. Shaded areas are injected faults.",
    render: throughputChart,
  },
  {
    id: "latency-over-time",
    title: "Latency percentiles over time",
    howToRead:
      "P99 (solid), P95 (dashed) and P50 (light) of submit-to-delivery latency in each window. Look at P99 during " +
      "the peak and inside the shaded fault windows: that is what a customer at the tail waits.",
    render: latencyOverTimeChart,
  },
  {
    id: "latency-distribution",
    title: "Latency by percentile (HDR)",
    howToRead:
      "The whole-run latency at each percentile. The x axis stretches the tail (99%, 99.9%) so it is as readable as " +
      "the median. A line lower everywhere is better everywhere; lines that cross trade the median for the tail.",
    render: latencyDistributionChart,
  },
  {
    id: "cpu",
    title: "CPU utilisation per cluster",
    howToRead:
      "Utilisation of each cluster (primary, backup) per window. A primary pinned near 100% while the backup idles " +
      "is the cold-standby problem; overflow routing should share load before the primary saturates.",
    render: cpuChart,
  },
  {
    id: "queue-depth",
    title: "Queue depth per lane",
    howToRead:
      "Orders waiting in each lane (VIP, default, overflow, compensation). A depth that keeps rising means arrivals " +
      "exceed service: latency will rise with it (Little's law).",
    render: queueDepthChart,
  },
  {
    id: "provider-health",
    title: "Provider health timeline",
    howToRead:
      "Each provider's health state over time: green healthy, amber sub-healthy (share reduced), red isolated " +
      "(no traffic), blue probing. Isolation should start soon after a fault begins and end soon after it ends.",
    render: providerHealthChart,
  },
  {
    id: "retries",
    title: "Retries and route switches",
    howToRead:
      "Retries per second (solid) show compensation work; a burst that outlives the fault is retry amplification. " +
      "Route switches (dashed) count overflow on/off changes; many switches in a row mean the router flaps.",
    render: retriesChart,
  },
];
