// A calibration profile (calibration-profile.ts) read from its file and applied to a validated scenario:
// the measured costs replace the typed-in ones in the fields the simulator's models read (cluster.cpuCostMs,
// cores, colocatedMsPerOrder, hopMs, store times, provider latencies as empirical distributions).
// `cluster.profile` in a scenario and `rushhour sim --calibration FILE` both end here.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { formatIssuePath } from "../server/core/issue-path.ts";
import { type CalibrationProfile, CalibrationProfileSchema } from "./calibration-profile.ts";
import type { ClusterSpec, ScenarioSpec } from "./schema.ts";

/** Which profile a run used (RunResult.calibration): its file, content hash and where it was measured. */
export interface CalibrationRef {
  path: string;
  sha256: string;
  measured: CalibrationProfile["measured"];
}

export class CalibrationProfileError extends Error {
  override name = "CalibrationProfileError";
}

/** Parses a profile's text; throws one line naming the file and the first bad field (and how many more). */
export function parseCalibrationProfile(text: string, file: string): CalibrationProfile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CalibrationProfileError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  const parsed = CalibrationProfileSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const first = issues[0]!;
    const more =
      issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? "s" : ""})` : "";
    throw new CalibrationProfileError(
      `${file}: ${formatIssuePath(first.path, "(profile)")}: ${first.message}${more}`,
    );
  }
  return parsed.data;
}

/** Reads and validates a profile file; the error names the file (missing, unreadable, invalid). */
export function loadCalibrationProfile(file: string): { profile: CalibrationProfile; ref: CalibrationRef } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CalibrationProfileError(
      code === "ENOENT" ? `${file}: no such calibration profile` : `${file}: ${(err as Error).message}`,
    );
  }
  const profile = parseCalibrationProfile(text, file);
  const sha256 = createHash("sha256").update(text).digest("hex");
  return { profile, ref: { path: file, sha256, measured: profile.measured } };
}

/**
 * The cluster with the profile's CPU, processors, co-located CPU and hop. Each cluster is one instance of the
 * measured server: `processorsPerInstance` processors (one event loop) on a machine of the measured cores (live
 * CPU is a share of them: load/series.ts). The server's CPU per order follows the measured steps (cpuCurve:
 * it falls as the rate rises); the stage costs keep the profile's proportions. With the driver and the farm on
 * the server's machine, their CPU per order at the highest measured rate (the one nearest saturation) takes
 * cores from it (simulator/models/cpu.ts).
 */
export function calibratedCluster(cluster: ClusterSpec, p: CalibrationProfile): ClusterSpec {
  const colocated = p.cpu.colocated;
  const cores = colocated === null ? p.measured.cores : colocated.machineCores;
  const node = { cores, processors: p.cpu.processorsPerInstance };
  const steps = [...p.cpu.steps].sort((a, b) => a.rate - b.rate);
  const top = steps.at(-1);
  // A profile without the loop-turn fit charges the curve's busy time per order (no wake cost of its own).
  const { loopWake: _typedIn, ...rest } = cluster;
  return {
    ...rest,
    primary: { ...cluster.primary, ...node },
    backup: { ...cluster.backup, ...node },
    cpuCostMs: { ...p.cpu.stageMs, waitPerSecond: p.cpu.waitPerSecond },
    cpuCurve: steps.map((s) => ({
      rate: s.rate,
      msPerOrder: s.serverMsPerOrder,
      ...(s.serverLoopMsPerOrder === undefined
        ? {}
        : { loopMsPerOrder: Math.min(s.serverLoopMsPerOrder, s.serverMsPerOrder) }),
      ...(s.gcPausesPerOrder === undefined || s.gcPauseMs === undefined
        ? {}
        : {
            pausesPerOrder: s.gcPausesPerOrder,
            pauseMs: s.gcPauseMs,
            ...(s.gcPauseCv === undefined ? {} : { pauseCv: s.gcPauseCv }),
          }),
    })),
    ...(p.cpu.loopTurns === undefined
      ? {}
      : { loopWake: { wakeMs: p.cpu.loopTurns.wakeMs, orderMs: p.cpu.loopTurns.orderMs } }),
    colocatedMsPerOrder:
      colocated === null || top === undefined ? 0 : top.driverMsPerOrder + top.farmMsPerOrder,
    hopMs: p.hopMs,
  };
}

/**
 * The scenario with the profile applied (pure: the input is not changed). Providers, and the risk and
 * notification services (by id), that the profile did not measure keep their typed-in latency; the
 * overrides' clusters (compare.overrides) are calibrated too.
 */
export function applyCalibration<S extends ScenarioSpec>(scenario: S, p: CalibrationProfile): S {
  const overrides = scenario.compare.overrides;
  const side = (o: (typeof overrides)["baseline"]) =>
    o?.cluster === undefined ? o : { ...o, cluster: calibratedCluster(o.cluster, p) };
  // The risk and notification services are measured like providers, under their ids (server/op-timings.ts).
  const measured = <T extends { id: string; latency: unknown }>(service: T): T => {
    const m = p.providers[service.id];
    return m === undefined
      ? service
      : {
          ...service,
          latency: {
            dist: "empirical" as const,
            values: [...m.values],
            ...(m.byRate === undefined
              ? {}
              : { byRate: m.byRate.map((r) => ({ rate: r.rate, values: [...r.values] })) }),
          },
        };
  };
  return {
    ...scenario,
    cluster: calibratedCluster(scenario.cluster, p),
    // Measured round trips as the server saw them (a group commit answers its batch together), not
    // per-SKU lock hold times: at 10 ms a claim, serialised per SKU, SQLite's hot SKU saturated at 155/s.
    store: { ...p.store, perSkuLock: false },
    providers: scenario.providers.map(measured),
    ...(scenario.risk !== undefined ? { risk: measured(scenario.risk) } : {}),
    ...(scenario.notification !== undefined ? { notification: measured(scenario.notification) } : {}),
    compare: {
      ...scenario.compare,
      overrides: {
        ...(overrides.baseline !== undefined ? { baseline: side(overrides.baseline) } : {}),
        ...(overrides.candidate !== undefined ? { candidate: side(overrides.candidate) } : {}),
      },
    },
  };
}
