// The suite's and the demo's bridge to the live load driver: runs `rushhour load` as a child process (so a
// live run gets its own process, worker threads and local stack, exactly as on the command line) and reads
// the RunResults it writes.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { LiveRunner } from "../../reports/suite.ts";
import { type RunResult, readRunResult } from "../../results/run-result.ts";

export interface LiveRunnerOptions {
  /** Multiplies every duration of the scenario (default: the scenario's live.durationScale). */
  durationScale?: number;
  /** Run only this configuration (default: the scenario's baseline then candidate). */
  config?: string;
  /** Drive an already running server (its address and admin token) instead of starting a local stack. */
  target?: { address: string; adminToken: string };
  /** Receives the child's stderr (its warnings and progress notes) once it has finished. */
  log?: (text: string) => void;
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));

export function liveRunner(opts: LiveRunnerOptions = {}): LiveRunner {
  return async (scenario, progress) => {
    const out = mkdtempSync(join(tmpdir(), "rushhour-live-"));
    const args = ["--import", "tsx", MAIN, "load", scenario.file ?? scenario.name, "--out", out];
    if (opts.durationScale !== undefined) args.push("--duration-scale", String(opts.durationScale));
    if (opts.config !== undefined) args.push("--config", opts.config);
    if (opts.target !== undefined) {
      args.push("--target", opts.target.address, "--admin-token", opts.target.adminToken);
    }
    progress?.("starting");
    try {
      const { code, stderr } = await run(process.execPath, args);
      if (stderr.trim() !== "") opts.log?.(stderr.trim());
      // 1 = a threshold failed: the run happened and its RunResults are what the report is for.
      if (code !== 0 && code !== 1) {
        throw new Error(`rushhour load ${scenario.name} exited with ${code}:\n${stderr.trim()}`);
      }
      const results: RunResult[] = readdirSync(out)
        .filter((f) => f.endsWith(".json"))
        .sort()
        .map((f) => readRunResult(join(out, f)));
      if (results.length === 0) {
        throw new Error(
          `rushhour load ${scenario.name} wrote no RunResult (exit ${code}):\n${stderr.trim()}`,
        );
      }
      return results;
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  };
}

function run(cmd: string, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-20_000);
    });
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code: code ?? 1, stderr }));
  });
}
