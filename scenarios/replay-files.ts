// A replay traffic's order log, checked when the scenario is loaded: its path is resolved against the
// scenario file's folder and the whole log is scanned once (traffic/replay/scan.ts), so a missing file, a
// bad line, an empty log or an unreachable peakRate is reported with the scenario's other problems, before
// any load is sent (issue 14).
import { dirname, isAbsolute, resolve } from "node:path";
import { OrderLogError } from "../traffic/replay/format.ts";
import { replayShape } from "../traffic/replay/timeline.ts";
import type { Traffic } from "../traffic/schema.ts";

/** The traffic with a replay's file made absolute; other executors unchanged. */
export function withResolvedLog<T extends Traffic>(traffic: T, scenarioFile: string | null): T {
  if (traffic.executor !== "replay" || isAbsolute(traffic.file)) return traffic;
  return { ...traffic, file: resolve(scenarioFile ? dirname(scenarioFile) : process.cwd(), traffic.file) };
}

/** Every problem of a (resolved) replay traffic's log as "path: message"; empty for other executors. */
export function replayLogProblems(traffic: Traffic, path: string): string[] {
  if (traffic.executor !== "replay") return [];
  try {
    replayShape(traffic);
    return [];
  } catch (err) {
    if (!(err instanceof OrderLogError)) throw err;
    const field = err.problem.startsWith("peakRate")
      ? "peakRate"
      : err.problem.startsWith("columns.")
        ? "columns"
        : "file";
    return [`${path}.${field}: ${err.message}`];
  }
}
