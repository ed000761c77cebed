// Without --target, `rushhour load` starts what a scenario needs on 127.0.0.1: a provider farm
// (`rushhour providers` with the scenario's provider models), a backup `rushhour serve --role backup`
// when the deployment has one, then the primary `rushhour serve` (forwarding its overflow to the backup)
// with a fresh SQLite store in a temp folder that both servers share, all as child processes. Each is
// waited for (its ready line) and stopped afterwards (SIGTERM, then SIGKILL if it lingers).
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SERVER_NODE_FLAGS } from "../server/node-flags.ts";
import type { FarmProvider, FarmServices } from "./provider-models.ts";

const BIN = fileURLToPath(new URL("../cli/bin.mjs", import.meta.url));
/** Starting tsx on a busy 2-core machine can take tens of seconds. */
const READY_TIMEOUT_MS = 120_000;

export interface LocalStackOptions {
  providers: FarmProvider[];
  /** The scenario's risk and notification services, served by the farm (and so used by serve). */
  services?: FarmServices;
  /** A preset name, or a full resolved configuration (written to a JSON file for `rushhour serve --config`). */
  config: string | object;
  skuCount: number;
  seed: number;
  /** Orders per minute before the run, for the server's prewarm forecaster (`serve --demand-history`). */
  demandHistory?: number[] | undefined;
  /** The server's store URL (default: a fresh SQLite file in the stack's temp folder). */
  store?: string;
  /**
   * A backup server's configuration (a preset name or a resolved configuration): the stack starts
   * `serve --role backup` on the primary's store, and the primary forwards its overflow to it. Absent: no backup.
   */
  backupConfig?: string | object;
  log?: (line: string) => void;
}

export interface LocalStack {
  /** The primary server's address (the one the driver sends orders to). */
  target: string;
  /** The backup server's address, or null: the stack has none. */
  backup: string | null;
  farm: string;
  adminToken: string;
  dir: string;
  /** Process ids of the server and the farm (rushhour calibrate reads their CPU time). */
  pids: { server: number; farm: number };
  /** The store URL the servers use. */
  store: string;
  stop(): Promise<void>;
}

interface Child {
  proc: ChildProcess;
  address: string;
  stop(): Promise<void>;
}

/** `name` is the command whose ready line is waited for; `label` names the process in the log. */
function startChild(name: string, args: string[], log: (line: string) => void, label = name): Promise<Child> {
  const proc = spawn(process.execPath, [...SERVER_NODE_FLAGS, BIN, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  proc.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise<Child>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`rushhour ${label} was not ready within ${READY_TIMEOUT_MS / 1000} s\n${stderr}`));
    }, READY_TIMEOUT_MS);
    proc.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = new RegExp(`rushhour ${name} listening on (\\S+)`).exec(out);
      if (m) {
        clearTimeout(timer);
        log(`${label} ready on ${m[1]}`);
        resolve({ proc, address: m[1] as string, stop });
      }
    });
    proc.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(`rushhour ${label} exited (${signal ?? code}) before it was ready:\n${stderr.trim()}`),
      );
    });
  });
}

/**
 * A temp folder holding what the spawned processes read: the provider farm's spec file (its providers
 * and, when the scenario has them, its risk and notification services), for a resolved configuration
 * object a config file for `rushhour serve --config`, and the scenario's demand history for
 * `serve --demand-history` (the simulator hands the same history to its dispatchers, so the live
 * server prewarms as the simulated one does); and a fresh admin token.
 */
export function prepareStackFiles(
  prefix: string,
  providers: FarmProvider[],
  config: string | object,
  services: FarmServices = {},
  demandHistory?: number[],
): {
  dir: string;
  specFile: string;
  config: string;
  adminToken: string;
  adminTokenFile: string;
  demandHistoryFile: string | undefined;
} {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const specFile = join(dir, "providers.json");
  writeFileSync(specFile, JSON.stringify({ providers, ...services }, null, 2));
  let demandHistoryFile: string | undefined;
  if (demandHistory !== undefined) {
    demandHistoryFile = join(dir, "demand-history.json");
    writeFileSync(demandHistoryFile, JSON.stringify(demandHistory));
  }
  const adminToken = randomBytes(18).toString("base64url");
  // Handed to `rushhour serve --admin-token-file`: an argument would show in `ps` to every user.
  const adminTokenFile = join(dir, "admin-token");
  writeFileSync(adminTokenFile, adminToken, { mode: 0o600 });
  return {
    dir,
    specFile,
    config: configArgument(dir, config, "config.json"),
    adminToken,
    adminTokenFile,
    demandHistoryFile,
  };
}

/** A `serve --config` argument: a preset name as it is, a full configuration written to dir/file. */
export function configArgument(dir: string, config: string | object, file: string): string {
  if (typeof config === "string") return config;
  const path = join(dir, file);
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

export interface ServeFlags {
  port: number;
  /** A store URL: sqlite:<file> or postgres://... */
  store: string;
  /** The provider farm's address. */
  providers: string;
  /** A preset name or a configuration file (configArgument). */
  config: string;
  /** The admin token's file (prepareStackFiles writes it 0600): a token in argv is visible in `ps`. */
  adminTokenFile: string;
  skus: number;
  seed: number;
  /** The scenario's demand history (prepareStackFiles writes it), for the prewarm forecaster. */
  demandHistoryFile?: string | undefined;
}

/** The flags of a `rushhour serve` this driver starts (local stack, topology instance, profile): no metrics port, no seeded stock. */
export function serveFlags(f: ServeFlags): string[] {
  return [
    ...(f.demandHistoryFile === undefined ? [] : ["--demand-history", f.demandHistoryFile]),
    "--port",
    String(f.port),
    "--metrics-port",
    "off",
    "--store",
    f.store,
    "--providers",
    f.providers,
    "--config",
    f.config,
    "--admin-token-file",
    f.adminTokenFile,
    "--skus",
    String(f.skus),
    "--seed-stock",
    "0",
    "--seed",
    String(f.seed),
  ];
}

/** Whether a second process can open the store: a memory store, or SQLite's :memory:, lives in its server's heap. */
function shareable(store: string): boolean {
  return !store.startsWith("memory") && store !== "sqlite::memory:";
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? (() => {});
  if (options.backupConfig !== undefined && options.store !== undefined && !shareable(options.store)) {
    // Checked before anything starts: a backup with a store of its own would sell cards from a second pool.
    throw new Error(
      `a backup server shares the primary's store, and ${options.store} cannot be shared: use a SQLite file or PostgreSQL, or no backup`,
    );
  }
  const { dir, specFile, config, adminToken, adminTokenFile, demandHistoryFile } = prepareStackFiles(
    "rushhour-load-",
    options.providers,
    options.config,
    options.services,
    options.demandHistory,
  );
  const children: Child[] = [];
  const stop = async () => {
    for (const c of children.reverse()) await c.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const farm = await startChild(
      "providers",
      ["providers", "--port", "0", "--spec", specFile, "--seed", String(options.seed)],
      log,
    );
    children.push(farm);
    const store = options.store ?? `sqlite:${join(dir, "store.db")}`;
    const flags = (serverConfig: string) =>
      serveFlags({
        port: 0,
        store,
        providers: farm.address,
        config: serverConfig,
        adminTokenFile,
        skus: options.skuCount,
        seed: options.seed,
        demandHistoryFile,
      });
    let backup: Child | null = null;
    if (options.backupConfig !== undefined) {
      // Started first, so the primary has an address to forward to; both sell from the one store.
      const backupConfig = configArgument(dir, options.backupConfig, "backup-config.json");
      const args = ["serve", ...flags(backupConfig), "--role", "backup", "--instance", "backup"];
      backup = await startChild("serve", args, log, "backup serve");
      children.push(backup);
    }
    const server = await startChild(
      "serve",
      ["serve", ...flags(config), ...(backup === null ? [] : ["--backup", backup.address])],
      log,
    );
    children.push(server);
    const pids = { server: server.proc.pid ?? 0, farm: farm.proc.pid ?? 0 };
    return {
      target: server.address,
      backup: backup?.address ?? null,
      farm: farm.address,
      adminToken,
      dir,
      pids,
      store,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
