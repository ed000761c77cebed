// Finding RunResult files (given files, or every RunResult JSON under given folders) and grouping them into
// one comparison per scenario.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseRunResult, type RunResult } from "../results/run-result.ts";
import { type Comparison, compareRuns } from "./compare.ts";
import { toRunView } from "./from-run-result.ts";
import type { RunView } from "./model.ts";

export class InputError extends Error {
  override name = "InputError";
}

export interface LoadedRun {
  path: string;
  result: RunResult;
  view: RunView;
}

/**
 * Reads RunResults from files and folders. A file given by name must be a valid RunResult; in a folder (searched
 * recursively) only JSON files with a top-level schemaVersion are read, so summaries beside them are skipped.
 */
export function loadRuns(paths: readonly string[]): LoadedRun[] {
  return runResultFiles(paths).map(readOne);
}

/** The RunResult files named by `paths` (files as given; in folders, recursively, those that look like one). */
export function runResultFiles(paths: readonly string[]): string[] {
  if (paths.length === 0) throw new InputError("no RunResult files or folders given");
  const out: string[] = [];
  for (const p of paths) {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(p);
    } catch {
      throw new InputError(`${p}: no such file or folder`);
    }
    if (st.isDirectory()) {
      const found = jsonFiles(p).filter((f) => looksLikeRunResult(f));
      if (found.length === 0) throw new InputError(`${p}: no RunResult JSON files in this folder`);
      out.push(...found);
    } else {
      out.push(p);
    }
  }
  return out;
}

/** Reads and validates one RunResult file; InputError names the file. */
export function readRunResultFile(path: string): RunResult {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new InputError(`${path}: cannot read (${(err as Error).message})`);
  }
  try {
    return parseRunResult(text, path);
  } catch (err) {
    throw new InputError((err as Error).message);
  }
}

function readOne(path: string): LoadedRun {
  const result = readRunResultFile(path);
  if (result.shard !== undefined) {
    throw new InputError(
      `${path}: shard ${result.shard.index}/${result.shard.count} of a sharded run: join the shards first (rushhour merge)`,
    );
  }
  const view = toRunView(result);
  // Artifacts are relative to the RunResult's folder; the report may be written anywhere.
  if (view.artifacts)
    view.artifacts = view.artifacts.map((a) => ({ ...a, path: resolve(dirname(path), a.path) }));
  return { path, result, view };
}

function jsonFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    const st = statSync(full);
    if (st.isDirectory()) out.push(...jsonFiles(full));
    else if (name.endsWith(".json")) out.push(full);
  }
  return out;
}

function looksLikeRunResult(path: string): boolean {
  try {
    const head = readFileSync(path, "utf8").slice(0, 200);
    return /^\s*\{\s*"schemaVersion"\s*:/.test(head);
  } catch {
    return false;
  }
}

export interface ScenarioGroup {
  scenario: string;
  kind: RunView["kind"];
  /** Every run of this scenario, baseline first then candidate, then the rest. */
  runs: RunView[];
  baseline?: RunView;
  candidate?: RunView;
  comparison?: Comparison;
}

/** One group per (scenario, kind); baseline and candidate by their role, else by order. */
export function groupByScenario(runs: readonly RunView[]): ScenarioGroup[] {
  const groups = new Map<string, RunView[]>();
  for (const r of runs) {
    const key = `${r.scenario}\u0000${r.kind}`;
    const list = groups.get(key) ?? [];
    list.push(r);
    groups.set(key, list);
  }
  return [...groups.values()].map((list) => {
    const baseline = list.find((r) => r.role === "baseline") ?? (list.length > 1 ? list[0] : undefined);
    const candidate =
      list.find((r) => r.role === "candidate" && r !== baseline) ??
      (baseline ? list.find((r) => r !== baseline) : undefined);
    const ordered = [baseline, candidate, ...list.filter((r) => r !== baseline && r !== candidate)].filter(
      (r): r is RunView => r !== undefined,
    );
    const first = ordered[0]!;
    return {
      scenario: first.scenario,
      kind: first.kind,
      runs: ordered,
      ...(baseline ? { baseline } : {}),
      ...(candidate ? { candidate } : {}),
      ...(baseline && candidate ? { comparison: compareRuns(baseline, candidate) } : {}),
    };
  });
}
