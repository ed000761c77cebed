// Order logs written into a temporary folder, and scenarios that replay them.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { type Scenario, validateScenario } from "../../../scenarios/define.ts";

export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "rushhour-replay-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes `text` to dir/name (gzip when the name ends in .gz); returns the path. */
export function writeLog(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, name.endsWith(".gz") ? gzipSync(text) : text);
  return path;
}

/** A scenario replaying `traffic` (a replay block); validated as loadScenario would (file resolved). */
export function replayScenario(
  traffic: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Scenario {
  return validateScenario({
    name: "replay-test",
    traffic: { executor: "replay", ...traffic },
    skus: { count: 20, zipfExponent: 1.1 },
    providers: [{ id: "p1", latency: { p50: "5ms", p99: "10ms" }, capacity: 100 }],
    cluster: { primary: { workers: 20 }, backup: { workers: 5 } },
    drain: "2s",
    window: "1s",
    ...extra,
  });
}

/** The message of what `fn` throws. */
export function thrown(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("expected a throw");
}
