// A scenario's `live.topology`: N primary `rushhour serve` instances and an optional backup instance
// sharing one PostgreSQL database (a throwaway cluster unless a URL is given), the provider farm in its
// own process. Everything listens on 127.0.0.1. Each instance has a stable name (primary-1.., backup),
// passed as `serve --instance`, so a restarted instance recovers its own unfinished orders and only
// those. Processes can be killed (SIGKILL) and restarted on the same port, and the database paused
// (SIGSTOP/SIGCONT on the postmaster and its backends): the chaos schedule (chaos.ts) drives that.
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TopologySpec } from "../scenarios/live.ts";
import { SERVER_NODE_FLAGS } from "../server/node-flags.ts";
import { startThrowawayPostgres, type ThrowawayPostgres } from "../server/store/pg-cluster.ts";
import { configArgument, prepareStackFiles, serveFlags } from "./local-stack.ts";
import type { FarmProvider, FarmServices } from "./provider-models.ts";

const BIN = fileURLToPath(new URL("../cli/bin.mjs", import.meta.url));
/** Starting tsx on a busy 2-core machine can take tens of seconds. */
const READY_TIMEOUT_MS = 120_000;

export interface TopologyOptions {
  spec: TopologySpec;
  providers: FarmProvider[];
  /** The scenario's risk and notification services, served by the farm (and so used by every serve). */
  services?: FarmServices;
  /** A preset name, or a full resolved configuration (written to a JSON file for `serve --config`). */
  config: string | object;
  /** The backup's configuration when it differs (its own worker count); `config` when absent. */
  backupConfig?: object;
  skuCount: number;
  seed: number;
  /** Orders per minute before the run, for every instance's prewarm forecaster (`serve --demand-history`). */
  demandHistory?: number[] | undefined;
  /** Extra `rushhour serve` flags for every instance (e.g. ["--drain-ms", "1000"]). */
  serveArgs?: string[];
  /** Throwaway PostgreSQL only: server settings (e.g. { fsync: "on" }) and store URL parameters ("batches=0"). */
  database?: { settings?: Record<string, string>; urlParams?: string };
  log?: (line: string) => void;
}

/** One process of the topology; `kill()` and `restart()` keep its name and port. */
export interface Member {
  readonly name: string;
  readonly kind: "primary" | "backup" | "farm";
  address: string;
  readonly up: boolean;
  pid(): number | undefined;
  /** SIGKILL; resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port; resolves when it is ready. */
  restart(): Promise<void>;
  /** SIGTERM, then SIGKILL after 15 s. */
  stop(): Promise<void>;
}

export interface Topology {
  primaries: Member[];
  backup: Member | null;
  farm: Member;
  storeUrl: string;
  /** The throwaway cluster's directory (null with a given database URL). */
  databaseDir: string | null;
  adminToken: string;
  /** The primaries' addresses, where the load goes. */
  targets(): string[];
  member(name: string): Member | undefined;
  /** SIGSTOP on the database's postmaster and backends (throwaway cluster only); returns the pids. */
  pauseDatabase(): number[];
  /** SIGCONT on what pauseDatabase stopped. */
  resumeDatabase(): void;
  stop(): Promise<void>;
}

class ChildMember implements Member {
  private proc: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  /** Set by stop(): a restart still under way (chaos) must not bring the process back afterwards. */
  private closed = false;
  address = "";

  constructor(
    readonly name: string,
    readonly kind: Member["kind"],
    private readonly args: (port: number) => string[],
    private readonly log: (line: string) => void,
  ) {}

  get up(): boolean {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  pid(): number | undefined {
    return this.up ? this.proc?.pid : undefined;
  }

  private port(): number {
    return this.address === "" ? 0 : Number(this.address.slice(this.address.lastIndexOf(":") + 1));
  }

  start(): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`${this.name} was stopped`));
    const ready = this.kind === "farm" ? "providers" : "serve";
    const proc = spawn(process.execPath, [...SERVER_NODE_FLAGS, BIN, ...this.args(this.port())], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.proc = proc;
    this.exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    let stderr = "";
    proc.stderr?.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
      // Debugging a topology: every process's own log lines, prefixed with its name.
      if (process.env.RUSHHOUR_TOPOLOGY_LOGS === "1") process.stderr.write(`[${this.name}] ${d.toString()}`);
    });
    return new Promise<void>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => {
        proc.kill("SIGKILL");
        reject(new Error(`${this.name} was not ready within ${READY_TIMEOUT_MS / 1000} s\n${stderr}`));
      }, READY_TIMEOUT_MS);
      const onData = (d: Buffer) => {
        out += d.toString();
        const m = new RegExp(`rushhour ${ready} listening on (\\S+)`).exec(out);
        if (m) {
          clearTimeout(timer);
          proc.stdout?.off("data", onData);
          proc.stdout?.resume();
          proc.off("exit", onExit);
          this.address = m[1] as string;
          this.log(`${this.name} ready on ${this.address} (pid ${proc.pid})`);
          if (this.closed) proc.kill("SIGTERM");
          resolve();
        }
      };
      const onExit = (code: number | null, signal: string | null) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (${signal ?? code}) before it was ready:\n${stderr.trim()}`));
      };
      proc.stdout?.on("data", onData);
      proc.once("exit", onExit);
    });
  }

  async kill(): Promise<void> {
    if (!this.up) return;
    this.proc?.kill("SIGKILL");
    await this.exited;
  }

  async restart(): Promise<void> {
    await this.kill();
    // The port was just freed; another process could take it in between, so retry a little.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.start();
        return;
      } catch (err) {
        if (attempt >= 3 || this.closed) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  async stop(): Promise<void> {
    this.closed = true;
    if (!this.up) return;
    this.proc?.kill("SIGTERM");
    const timer = setTimeout(() => this.proc?.kill("SIGKILL"), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Starts `rushhour <args(port)>` as a managed process (waits for its ready line); e.g. a lone provider farm. */
export async function startMember(
  name: string,
  kind: Member["kind"],
  args: (port: number) => string[],
  log: (line: string) => void = () => {},
): Promise<Member> {
  const m = new ChildMember(name, kind, args, log);
  await m.start();
  return m;
}

/** The postmaster pid of a cluster directory and every process whose parent it is (its backends). */
export function postgresPids(clusterDir: string): number[] {
  const postmaster = Number(readFileSync(join(clusterDir, "data", "postmaster.pid"), "utf8").split("\n")[0]);
  const pids = [postmaster];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Fields after the command name (which may hold spaces) start after the last ")".
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === postmaster) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

export async function startTopology(options: TopologyOptions): Promise<Topology> {
  const log = options.log ?? (() => {});
  const spec = options.spec;
  const { dir, specFile, config, adminToken, adminTokenFile, demandHistoryFile } = prepareStackFiles(
    "rushhour-topology-",
    options.providers,
    options.config,
    options.services,
    options.demandHistory,
  );
  const backupConfig =
    options.backupConfig === undefined
      ? config
      : configArgument(dir, options.backupConfig, "backup-config.json");
  let pg: ThrowawayPostgres | null = null;
  const members: ChildMember[] = [];
  let paused: number[] = [];

  const resumeDatabase = () => {
    for (const pid of paused) {
      try {
        process.kill(pid, "SIGCONT");
      } catch {
        // Gone already.
      }
    }
    paused = [];
  };
  // A paused database must never outlive us, whatever happens.
  process.on("exit", resumeDatabase);

  const stop = async () => {
    resumeDatabase();
    process.off("exit", resumeDatabase);
    // Primaries first (they drain into the backup and the farm), then backup, then farm.
    for (const m of [...members].reverse()) await m.stop();
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const farm = new ChildMember(
      "farm",
      "farm",
      (port) => ["providers", "--port", String(port), "--spec", specFile, "--seed", String(options.seed)],
      log,
    );
    members.push(farm);
    let storeUrl = spec.store ?? "postgres";
    // The database and the farm do not need each other: start both at once.
    const [cluster] = await Promise.all([
      storeUrl === "postgres"
        ? startThrowawayPostgres({ settings: { max_connections: "400", ...options.database?.settings } })
        : null,
      farm.start(),
    ]);
    if (cluster !== null) {
      pg = cluster;
      storeUrl = options.database?.urlParams ? `${cluster.url}?${options.database.urlParams}` : cluster.url;
      log(`PostgreSQL ready on 127.0.0.1:${cluster.port}`);
    }
    const serve = (name: string, role: "primary" | "backup", backup: string | null) => (port: number) => [
      "serve",
      ...serveFlags({
        port,
        store: storeUrl,
        providers: farm.address,
        config: role === "backup" ? backupConfig : config,
        adminTokenFile,
        skus: options.skuCount,
        seed: options.seed,
        demandHistoryFile,
      }),
      "--role",
      role,
      "--instance",
      name,
      ...(backup === null ? [] : ["--backup", backup]),
      ...(options.serveArgs ?? []),
    ];
    let backup: ChildMember | null = null;
    if (spec.backup !== false) {
      backup = new ChildMember("backup", "backup", serve("backup", "backup", null), log);
      members.push(backup);
      await backup.start();
    }
    const primaries: ChildMember[] = [];
    for (let i = 1; i <= spec.instances; i++) {
      const m = new ChildMember(
        `primary-${i}`,
        "primary",
        serve(`primary-${i}`, "primary", backup?.address ?? null),
        log,
      );
      members.push(m);
      primaries.push(m);
    }
    // Started one after another: the first creates the schema, and tsx start-up competes for 2 cores.
    for (const m of primaries) await m.start();
    return {
      primaries,
      backup,
      farm,
      storeUrl,
      databaseDir: cluster?.dir ?? null,
      adminToken,
      targets: () => primaries.map((m) => m.address),
      member: (name) => members.find((m) => m.name === name),
      pauseDatabase: () => {
        if (cluster === null) throw new Error('pause-db needs the throwaway cluster (store: "postgres")');
        const pids = postgresPids(cluster.dir);
        for (const pid of pids) process.kill(pid, "SIGSTOP");
        paused.push(...pids);
        return pids;
      },
      resumeDatabase,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
