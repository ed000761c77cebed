// Profiling as a workflow (`rushhour profile`): runs `rushhour serve` under clinic (doctor or flame) while the
// scenario's load runs, scaled down, then writes clinic's HTML beside the run's RunResult and links it from
// the run's report. The server runs in a child process on purpose: clinic profiles a process of its own.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, delimiter, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { prepareStackFiles, serveFlags } from "../load/local-stack.ts";
import { runLoad } from "../load/run-load.ts";
import { startMember } from "../load/topology.ts";
import { toRunView } from "../reports/from-run-result.ts";
import { writeReport } from "../reports/write-report.ts";
import { type RunResult, writeRunResult } from "../results/run-result.ts";
import type { Scenario } from "../scenarios/define.ts";
import { liveOptions } from "../scenarios/live.ts";
import { SERVER_NODE_FLAGS } from "../server/node-flags.ts";
import type { Arm } from "./arms.ts";
import { runFile } from "./files.ts";
import { scenarioDemandHistory, scenarioFarm, sizedPrimaryConfig } from "./scenario-stack.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const BIN = fileURLToPath(new URL("../cli/bin.mjs", import.meta.url));

/** The scenario with every arrival rate and VU count multiplied by `f` (durations are scaled by the driver). */
export function scaleRates(scenario: Scenario, f: number): Scenario {
  const t = { ...scenario.traffic } as Record<string, unknown>;
  const r = (x: unknown) => (typeof x === "number" ? Math.max(0, x * f) : x);
  const v = (x: unknown) => (typeof x === "number" ? Math.max(1, Math.round(x * f)) : x);
  if ("rate" in t) t.rate = r(t.rate);
  if ("startRate" in t) t.startRate = r(t.startRate);
  if ("vus" in t) t.vus = v(t.vus);
  if ("startVUs" in t) t.startVUs = Math.round((t.startVUs as number) * f);
  const vus = t.executor === "ramping-vus";
  if (Array.isArray(t.stages)) {
    t.stages = (t.stages as { target: number }[]).map((s) => ({
      ...s,
      target: vus ? Math.round(s.target * f) : r(s.target),
    }));
  }
  const live = liveOptions(scenario.live);
  const scaled = {
    ...live,
    ...(live.cardStock !== undefined ? { cardStock: Math.ceil(live.cardStock * f) } : {}),
    ...(live.maxVUs !== undefined ? { maxVUs: Math.max(1, Math.ceil(live.maxVUs * f)) } : {}),
  };
  return { ...scenario, traffic: t as Scenario["traffic"], live: scaled };
}

/** Starts clinic around `rushhour serve`, in its own process group so SIGINT reaches clinic and the server. */
function startUnderClinic(
  tool: Tool,
  dest: string,
  serveArgs: string[],
  log: (line: string) => void,
): Promise<{ proc: ChildProcess; address: string; output: () => string; exited: Promise<number | null> }> {
  const clinic = join(ROOT, "node_modules", ".bin", "clinic");
  if (!existsSync(clinic)) {
    throw new Error(`clinic is not installed (${clinic}); run npm install in ${ROOT}`);
  }
  const proc = spawn(
    clinic,
    [
      tool,
      "--open=false",
      "--dest",
      dest,
      "--",
      process.execPath,
      ...SERVER_NODE_FLAGS,
      BIN,
      "serve",
      ...serveArgs,
    ],
    {
      cwd: ROOT,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        // Without it clinic asks about telemetry and exits when there is no terminal.
        NO_INSIGHT: "1",
        PATH: `${join(ROOT, "node_modules", ".bin")}${delimiter}${process.env.PATH ?? ""}`,
      },
    },
  );
  let out = "";
  const collect = (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000);
  };
  proc.stdout?.on("data", collect);
  proc.stderr?.on("data", collect);
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      stopGroup(proc, "SIGKILL");
      reject(new Error(`rushhour serve under clinic was not ready within 180 s:\n${out}`));
    }, 180_000);
    const onData = () => {
      const m = /rushhour serve listening on (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        proc.stdout?.off("data", onData);
        log(`serve under clinic ${tool} ready on ${m[1]}`);
        resolvePromise({ proc, address: m[1] as string, output: () => out, exited });
      }
    };
    proc.stdout?.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`clinic ${tool} exited (${code}) before the server was ready:\n${out.trim()}`));
    });
  });
}

function stopGroup(proc: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (proc.pid !== undefined) process.kill(-proc.pid, signal);
  } catch {
    // Already gone.
  }
}

function findHtml(dir: string): string | null {
  if (!existsSync(dir)) return null;
  const html = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".html"));
  return html.length > 0 ? join(dir, html[0] as string) : null;
}

/** Puts a link to clinic's report at the top of the run's report. */
function linkFromReport(reportHtml: string, target: string, label: string): void {
  const html = readFileSync(reportHtml, "utf8");
  const href = relative(resolve(reportHtml, ".."), target).split("\\").join("/");
  const link = `<p class="profile-link" style="font:14px sans-serif;margin:8px 0">Profile: <a href="${href}">${label}</a></p>`;
  const at = html.search(/<body[^>]*>/);
  const out = at < 0 ? `${link}${html}` : html.replace(/<body[^>]*>/, (body) => `${body}\n${link}`);
  writeFileSync(reportHtml, out);
}

export const TOOLS = ["doctor", "flame"] as const;
export type Tool = (typeof TOOLS)[number];

export interface ProfileOptions {
  tool: Tool;
  /** The configuration to profile (run with role "single": the scenario's own traffic). */
  arm: Arm;
  durationScale: number;
  /** Only for the progress note; the scenario's rates are already scaled (scaleRates). */
  rateScale: number;
  outDir: string;
  command: string[];
  log: (line: string) => void;
  warn: (line: string) => void;
}

export type ProfileOutcome =
  | { ok: true; clinicHtml: string; runFile: string; reportHtml: string; result: RunResult }
  | { ok: false; message: string };

/**
 * Profiles the server under the scenario's load: a provider farm, `rushhour serve` under clinic (its own
 * process group, so clinic sees the server alone and SIGINT makes it write its report), the live driver
 * against it; then the RunResult (clinic's HTML as an artifact) and the run's report with a link to clinic's.
 */
export async function runProfile(scenario: Scenario, o: ProfileOptions): Promise<ProfileOutcome> {
  const { tool, arm, durationScale, rateScale, outDir, log } = o;
  const clinicDir = join(outDir, "clinic");
  mkdirSync(clinicDir, { recursive: true });
  const { providers, services } = scenarioFarm(scenario);
  const files = prepareStackFiles(
    "rushhour-profile-",
    providers,
    // Sized as the simulator sizes the scenario's cluster (scenario-stack.ts).
    sizedPrimaryConfig(scenario, arm.config),
    services,
    scenarioDemandHistory(scenario),
  );
  const { dir: work, specFile, adminToken: token } = files;

  const farm = await startMember(
    "farm",
    "farm",
    (port) => ["providers", "--port", String(port), "--spec", specFile, "--seed", String(scenario.seed)],
    log,
  );
  let served: Awaited<ReturnType<typeof startUnderClinic>> | null = null;
  try {
    served = await startUnderClinic(
      tool,
      clinicDir,
      serveFlags({
        port: 0,
        store: `sqlite:${join(work, "store.db")}`,
        providers: farm.address,
        config: files.config,
        adminTokenFile: files.adminTokenFile,
        skus: scenario.skus.count,
        seed: scenario.seed,
        demandHistoryFile: files.demandHistoryFile,
      }),
      log,
    );
    log(`load: ${scenario.name} at ${rateScale}x rate, ${durationScale}x durations`);
    const { result } = await runLoad({
      scenario,
      arm: { name: arm.name, role: "single", definition: arm.config },
      target: { addresses: [served.address], adminToken: token },
      durationScale,
      command: o.command,
      log,
      warn: o.warn,
    });

    log(`stopping the server; clinic ${tool} is writing its report (this takes a while)`);
    stopGroup(served.proc, "SIGINT");
    const code = await served.exited;
    const html = findHtml(clinicDir);
    if (html === null) {
      return {
        ok: false,
        message: `clinic ${tool} wrote no HTML (exit ${code}):\n${served.output().trim()}`,
      };
    }
    const label = `clinic ${tool}`;
    result.artifacts = [{ label, path: relative(outDir, html) }];
    const file = runFile(outDir, scenario.name, arm.name);
    writeRunResult(file, result);
    const report = writeReport([toRunView(result)], join(outDir, "report"), {
      title: `${scenario.name} under clinic ${tool}`,
    });
    linkFromReport(report.html, html, `${label}: ${basename(html)}`);
    return { ok: true, clinicHtml: html, runFile: file, reportHtml: report.html, result };
  } finally {
    if (served !== null && served.proc.exitCode === null && served.proc.signalCode === null) {
      stopGroup(served.proc, "SIGKILL");
    }
    await farm.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
