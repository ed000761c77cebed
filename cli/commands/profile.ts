// `rushhour profile`: runs `rushhour serve` under clinic (doctor or flame) while the scenario's load runs,
// scaled down, then writes clinic's HTML beside the run's RunResult and links it from the run's report.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, delimiter, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { prepareStackFiles, serveFlags } from "../../load/local-stack.ts";
import { farmProviders } from "../../load/provider-models.ts";
import { runLoad } from "../../load/run-load.ts";
import { startMember } from "../../load/topology.ts";
import { toRunView } from "../../reports/from-run-result.ts";
import { writeReport } from "../../reports/write-report.ts";
import { writeRunResult } from "../../results/run-result.ts";
import { BUILTIN_SCENARIOS, type Scenario } from "../../scenarios/define.ts";
import { liveOptions } from "../../scenarios/live.ts";
import { SERVER_NODE_FLAGS } from "../../server/node-flags.ts";
import { liveProblems } from "../../workflows/live.ts";
import { parseCommandArgs } from "../args.ts";
import { type Command, EXIT, UsageError } from "../command.ts";
import { configArgument, scenarioArgument } from "../scenario-argument.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = fileURLToPath(new URL("../bin.mjs", import.meta.url));
const TOOLS = ["doctor", "flame"] as const;
type Tool = (typeof TOOLS)[number];

const help = `Usage: rushhour profile <scenario> [--tool doctor|flame] [--out DIR] [--config NAME|FILE]
                        [--duration-scale F] [--rate-scale F]

Profiles the dispatch server under the scenario's load: starts a provider farm, runs rushhour serve
(SQLite store in a temporary folder) under clinic (Clinic.js doctor or flame), replays the scenario's
traffic against it with the live driver (scaled down: durations by --duration-scale, arrival rates and
VUs by --rate-scale), stops the server with SIGINT so clinic writes its report, then writes into DIR:
  <scenario>.<config>.json      the RunResult, listing clinic's HTML under "artifacts"
  clinic/<...>.html             clinic's report
  report/index.html             the run's report, with a link to clinic's report

<scenario>   a built-in name (${BUILTIN_SCENARIOS.join(", ")}) or a path to a scenario .ts file

Options:
  --tool T             doctor (event-loop delay, CPU, memory, handles: what kind of problem) or flame
                       (where CPU time goes) (default doctor)
  --out DIR            output folder (default out/profile/<scenario>)
  --config NAME|FILE   server configuration (default: the scenario's candidate)
  --duration-scale F   multiply every duration by F (default 0.25)
  --rate-scale F       multiply arrival rates and VUs by F (default 0.25)
  -h, --help           show this help

Needs clinic (an npm dependency of rushhour). Progress goes to stderr on a terminal.
Exit codes: 0 profile written, 1 clinic or the server failed, 2 bad usage, scenario or configuration.
`;

function positive(flag: string, raw: string | undefined, fallback: number, problems: string[]): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n) || n <= 0 || n > 100) {
    problems.push(`--${flag} must be a number in (0, 100], got "${raw}"`);
    return fallback;
  }
  return n;
}

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

export const profileCommand: Command = {
  name: "profile",
  summary: "profile rushhour serve under clinic (doctor|flame) while a scenario's load runs",
  help,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      tool: { type: "string" },
      out: { type: "string" },
      config: { type: "string" },
      "duration-scale": { type: "string" },
      "rate-scale": { type: "string" },
    });
    const problems: string[] = [];
    if (positionals.length !== 1) problems.push("give exactly one scenario (a built-in name or a .ts file)");
    const tool = (values.tool ?? "doctor") as Tool;
    if (!TOOLS.includes(tool)) problems.push(`--tool must be doctor or flame, got "${values.tool}"`);
    const durationScale = positive("duration-scale", values["duration-scale"], 0.25, problems);
    const rateScale = positive("rate-scale", values["rate-scale"], 0.25, problems);
    if (problems.length > 0) throw new UsageError(problems.join("\n  "));

    const scenario = scaleRates(await scenarioArgument(positionals[0] as string), rateScale);
    const arm = configArgument(scenario, values.config);
    const configName = arm.name;
    const definition: unknown = arm.config;
    // The profiled run drives the scenario's own traffic (role "single"), whichever configuration it sizes.
    const liveProblemList = liveProblems(scenario, [{ ...arm, role: "single" }], durationScale);
    if (liveProblemList.length > 0) {
      throw new UsageError(`${scenario.name} cannot be run live:\n  ${liveProblemList.join("\n  ")}`);
    }

    const outDir = resolve(values.out ?? join("out", "profile", scenario.name));
    const clinicDir = join(outDir, "clinic");
    mkdirSync(clinicDir, { recursive: true });
    const log = (line: string) => {
      if (process.stderr.isTTY) process.stderr.write(`rushhour profile: ${line}\n`);
    };
    const files = prepareStackFiles("rushhour-profile-", farmProviders(scenario.providers), arm.serverConfig);
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
          adminToken: token,
          skus: scenario.skus.count,
          seed: scenario.seed,
        }),
        log,
      );
      log(`load: ${scenario.name} at ${rateScale}x rate, ${durationScale}x durations`);
      const { result } = await runLoad({
        scenario,
        arm: { name: configName, role: "single", definition },
        target: { addresses: [served.address], adminToken: token },
        durationScale,
        command: ["rushhour", "profile", ...argv],
        log,
        warn: (line) => process.stderr.write(`rushhour profile: ${line}\n`),
      });

      log(`stopping the server; clinic ${tool} is writing its report (this takes a while)`);
      stopGroup(served.proc, "SIGINT");
      const code = await served.exited;
      const html = findHtml(clinicDir);
      if (html === null) {
        process.stderr.write(
          `rushhour profile: clinic ${tool} wrote no HTML (exit ${code}):\n${served.output().trim()}\n`,
        );
        return EXIT.failed;
      }
      const label = `clinic ${tool}`;
      result.artifacts = [{ label, path: relative(outDir, html) }];
      const file = join(outDir, `${scenario.name}.${basename(configName).replace(/\.json$/i, "")}.json`);
      writeRunResult(file, result);
      const report = writeReport([toRunView(result)], join(outDir, "report"), {
        title: `${scenario.name} under clinic ${tool}`,
      });
      linkFromReport(report.html, html, `${label}: ${basename(html)}`);
      process.stdout.write(
        `profiled ${scenario.name} (${result.counters.delivered} orders delivered, P99 ${result.summary.p99.mean.toFixed(0)} ms)\n` +
          `wrote:\n  ${html}\n  ${file}\n  ${report.html}\n`,
      );
      return EXIT.ok;
    } finally {
      if (served !== null && served.proc.exitCode === null && served.proc.signalCode === null) {
        stopGroup(served.proc, "SIGKILL");
      }
      await farm.stop();
      rmSync(work, { recursive: true, force: true });
    }
  },
};
