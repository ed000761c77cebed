// Demand history for the forecaster: a generated daily pattern (seeded) or a JSON file of orders per
// minute. Pure except for reading the file, so the live driver can reuse it.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { hashString, Xoshiro128 } from "../server/core/random.ts";
import type { DemandHistorySpec } from "./schema.ts";

const MINUTES_PER_DAY = 1440;

/**
 * Orders per minute over `days` days, ending just before the peak minute of the next day (the run
 * starts there): a raised cosine from trough to peak centred on `peakMinute`, with multiplicative noise.
 */
export function generateDemandHistory(
  spec: Extract<DemandHistorySpec, { kind: "generated" }>,
  seed: number,
): number[] {
  const rng = new Xoshiro128(hashString("demand-history", seed >>> 0));
  const total = spec.days * MINUTES_PER_DAY;
  // The history ends at the peak minute minus 30 minutes, so the forecaster sees the ramp coming.
  const end = spec.days * MINUTES_PER_DAY + spec.peakMinute - 30;
  const start = end - total;
  const out: number[] = new Array(total);
  for (let i = 0; i < total; i++) {
    const minuteOfDay = (((start + i) % MINUTES_PER_DAY) + MINUTES_PER_DAY) % MINUTES_PER_DAY;
    let d = Math.abs(minuteOfDay - spec.peakMinute);
    d = Math.min(d, MINUTES_PER_DAY - d);
    // Sharp evening peak: a narrow cosine bump (~3 h wide) on top of the trough.
    const shape = d < 90 ? 0.5 * (1 + Math.cos((Math.PI * d) / 90)) : 0;
    const base = spec.troughPerMinute + (spec.peakPerMinute - spec.troughPerMinute) * shape;
    const noise = 1 + spec.noise * (2 * rng.next() - 1);
    out[i] = Math.max(0, Math.round(base * noise));
  }
  return out;
}

/** Loads a scenario's demand history; `scenarioFile` anchors relative paths. */
export function loadDemandHistory(
  spec: DemandHistorySpec,
  seed: number,
  scenarioFile: string | null,
): number[] {
  if (spec.kind === "generated") return generateDemandHistory(spec, seed);
  const path = resolve(scenarioFile ? dirname(scenarioFile) : process.cwd(), spec.path);
  const data: unknown = JSON.parse(readFileSync(path, "utf8"));
  if (!Array.isArray(data) || !data.every((v) => typeof v === "number" && Number.isFinite(v) && v >= 0)) {
    throw new Error(`${path}: demand history must be a JSON array of orders per minute (numbers >= 0)`);
  }
  return data as number[];
}
