// Spawns `rushhour serve` / `rushhour providers` as real child processes on free ports and waits
// for their ready line. Used by the server's integration tests, the bench and the load driver.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { SERVER_NODE_FLAGS } from "../../server/node-flags.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface Spawned {
  proc: ChildProcess;
  /** HOST:PORT from the ready line. */
  address: string;
  port: number;
  /** Every stdout line so far. */
  stdout: string[];
  /** Every stderr line so far. */
  stderr: string[];
  /** Resolves with the exit code (or the signal name) when the process ends. */
  exited: Promise<number | string>;
  /** SIGTERM (graceful); resolves when the process has exited. */
  stop(): Promise<number | string>;
  /** SIGKILL: a crash. */
  kill(): Promise<number | string>;
}

export interface SpawnedServer extends Spawned {
  metricsPort: number | null;
  adminToken: string;
}

/** Runs `rushhour <args>` and resolves once a line matching `ready` appears on stdout. */
export function spawnRushhour(args: string[], ready: RegExp, env: NodeJS.ProcessEnv = {}): Promise<Spawned> {
  const proc = spawn(process.execPath, [...SERVER_NODE_FLAGS, "--import", "tsx", "cli/main.ts", ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const exited = new Promise<number | string>((resolve) => {
    proc.on("exit", (code, signal) => resolve(code ?? signal ?? "unknown"));
  });
  const lines = (stream: NodeJS.ReadableStream, into: string[], onLine?: (line: string) => void) => {
    let buffer = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      buffer += chunk;
      let nl = buffer.indexOf("\n");
      while (nl >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        into.push(line);
        onLine?.(line);
        nl = buffer.indexOf("\n");
      }
    });
  };
  return new Promise((resolve, reject) => {
    lines(proc.stderr!, stderr);
    lines(proc.stdout!, stdout, (line) => {
      const m = ready.exec(line);
      if (m === null) return;
      const address = m[1]!;
      const port = Number(address.slice(address.lastIndexOf(":") + 1));
      const stopWith = (signal: NodeJS.Signals) => () => {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
        return exited;
      };
      resolve({
        proc,
        address,
        port,
        stdout,
        stderr,
        exited,
        stop: stopWith("SIGTERM"),
        kill: stopWith("SIGKILL"),
      });
    });
    exited.then((code) =>
      reject(new Error(`rushhour ${args[0]} exited (${code}) before ready:\n${stderr.join("\n")}`)),
    );
  });
}

/** `rushhour serve` on a free port, memory store and no /metrics unless asked otherwise. */
export async function spawnServe(
  args: string[] = [],
  options: { adminToken?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<SpawnedServer> {
  const adminToken = options.adminToken ?? "test-admin-token";
  const withDefaults = [...args];
  const has = (flag: string) => args.includes(flag);
  if (!has("--port")) withDefaults.push("--port", "0");
  if (!has("--store")) withDefaults.push("--store", "memory:");
  if (!has("--metrics-port")) withDefaults.push("--metrics-port", "off");
  if (
    !has("--admin-token") &&
    !has("--admin-token-file") &&
    options.env?.RUSHHOUR_ADMIN_TOKEN === undefined
  ) {
    withDefaults.push("--admin-token", adminToken);
  }
  const s = await spawnRushhour(["serve", ...withDefaults], /rushhour serve listening on (\S+)/, options.env);
  const metricsLine = s.stdout
    .map((l) => /metrics on http:\/\/\S+:(\d+)\/metrics/.exec(l))
    .find((m) => m !== null);
  return { ...s, metricsPort: metricsLine ? Number(metricsLine[1]) : null, adminToken };
}

/** `rushhour providers` on a free port. */
export function spawnProviders(args: string[] = []): Promise<Spawned> {
  const withPort = args.includes("--port") ? args : [...args, "--port", "0"];
  return spawnRushhour(["providers", ...withPort], /rushhour providers listening on (\S+)/);
}
