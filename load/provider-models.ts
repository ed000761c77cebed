// A scenario's provider models as the provider farm's spec ({ id, p50Ms, p99Ms, capacity, errorRate }),
// and its risk and notification services (when it has them) as the spec's "risk" and "notification".
// The farm draws lognormal latencies from p50/p99, so other distributions are mapped to the p50/p99
// they have (exact for lognormal, exponential, deterministic, uniform and empirical quantiles).
import type { NotificationServiceSpec, ProviderSpec, RiskServiceSpec } from "../scenarios/schema.ts";

export interface FarmProvider {
  id: string;
  p50Ms: number;
  p99Ms: number;
  capacity: number;
  errorRate: number;
}

function quantile(sorted: readonly number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] as number;
}

export function latencyPercentiles(latency: ProviderSpec["latency"]): { p50Ms: number; p99Ms: number } {
  if ("p50" in latency) return { p50Ms: latency.p50, p99Ms: latency.p99 };
  switch (latency.dist) {
    case "exponential":
      return { p50Ms: latency.mean * Math.LN2, p99Ms: latency.mean * Math.log(100) };
    case "deterministic":
      return { p50Ms: latency.value, p99Ms: latency.value };
    case "uniform":
      return {
        p50Ms: (latency.min + latency.max) / 2,
        p99Ms: latency.min + 0.99 * (latency.max - latency.min),
      };
    case "empirical": {
      const sorted = [...latency.values].sort((a, b) => a - b);
      return { p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99) };
    }
  }
}

export function farmProviders(providers: readonly ProviderSpec[]): FarmProvider[] {
  return providers.map((p) => ({
    id: p.id,
    ...latencyPercentiles(p.latency),
    capacity: p.capacity,
    errorRate: p.errorRate,
  }));
}

export interface FarmRisk extends FarmProvider {
  denyRate: number;
  reviewRate: number;
}

/** The farm's optional services (server/providers/model.ts FarmSpec): what the scenario has of them. */
export interface FarmServices {
  risk?: FarmRisk;
  notification?: FarmProvider;
}

export function farmServices(scenario: {
  risk?: RiskServiceSpec | undefined;
  notification?: NotificationServiceSpec | undefined;
}): FarmServices {
  const services: FarmServices = {};
  const { risk, notification } = scenario;
  if (risk !== undefined) {
    const [model] = farmProviders([risk]);
    services.risk = { ...(model as FarmProvider), denyRate: risk.denyRate, reviewRate: risk.reviewRate };
  }
  if (notification !== undefined) services.notification = farmProviders([notification])[0];
  return services;
}
