// Checks that span fields (provider, risk and notification ids referenced by faults and unique, p99 >= p50...). They run on the raw
// definition, even when other fields are invalid, so that one load reports every problem.
import { tryParseDuration } from "../traffic/duration.ts";

export interface Problem {
  path: (string | number)[];
  message: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function crossCheck(definition: unknown): Problem[] {
  const problems: Problem[] = [];
  if (!isRecord(definition)) return problems;
  const ids = new Set<string>();
  const providers = Array.isArray(definition.providers) ? definition.providers : [];
  providers.forEach((p: unknown, i: number) => {
    if (!isRecord(p)) return;
    if (typeof p.id === "string") {
      if (ids.has(p.id))
        problems.push({ path: ["providers", i, "id"], message: `duplicate provider id "${p.id}"` });
      ids.add(p.id);
    }
    checkLatency(p.latency, ["providers", i, "latency"], problems);
  });
  // The risk and notification services share the id space with providers (faults name any of them).
  for (const [key, fallback] of [
    ["risk", "risk"],
    ["notification", "notify"],
  ] as const) {
    const service = definition[key];
    if (!isRecord(service)) continue;
    const id = service.id === undefined ? fallback : service.id;
    if (typeof id === "string") {
      if (ids.has(id))
        problems.push({
          path: [key, "id"],
          message: `id "${id}" is already taken (provider, risk and notification ids must differ)`,
        });
      ids.add(id);
    }
    checkLatency(service.latency, [key, "latency"], problems);
  }
  const faults = Array.isArray(definition.faults) ? definition.faults : [];
  faults.forEach((f: unknown, i: number) => {
    if (!isRecord(f)) return;
    if (typeof f.provider === "string" && providers.length > 0 && !ids.has(f.provider)) {
      problems.push({
        path: ["faults", i, "provider"],
        message: `unknown provider "${f.provider}"; known provider, risk and notification ids are ${[...ids].join(", ")}`,
      });
    }
    if (f.kind === "latency" && f.latencyMs === undefined) {
      problems.push({ path: ["faults", i, "latencyMs"], message: "a latency fault needs latencyMs" });
    }
  });
  return problems;
}

function checkLatency(l: unknown, path: (string | number)[], problems: Problem[]): void {
  if (!isRecord(l)) return;
  const p50 = tryParseDuration(l.p50);
  const p99 = tryParseDuration(l.p99);
  if (p50 !== undefined && p99 !== undefined && p99 < p50) {
    problems.push({ path: [...path, "p99"], message: "p99 must be >= p50" });
  }
  const min = tryParseDuration(l.min);
  const max = tryParseDuration(l.max);
  if (min !== undefined && max !== undefined && max < min) {
    problems.push({ path: [...path, "max"], message: "max must be >= min" });
  }
}
