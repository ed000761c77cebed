// Starts and stops a throwaway PostgreSQL cluster on 127.0.0.1 with the machine's own binaries
// (initdb, pg_ctl): the store tests use it, and so will `rushhour load` for a shared-store run.
// initdb refuses to run as root, so as root the cluster directory belongs to the `postgres` user
// and the binaries run through `runuser`. fsync is off: the cluster is thrown away anyway.
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface ThrowawayPostgresOptions {
  /** Port on 127.0.0.1; a free one is picked when absent. */
  port?: number;
  /** Directory for the cluster: new or empty; created, and removed on stop. A fresh temp dir when absent. */
  dir?: string;
  /** Extra server settings, e.g. { max_connections: "300" }. */
  settings?: Record<string, string>;
}

export interface ThrowawayPostgres {
  /** postgres://postgres@127.0.0.1:PORT/postgres (trust auth). */
  url: string;
  port: number;
  dir: string;
  /** Stops the cluster (immediate mode) and removes its directory; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Creates an empty schema in the cluster and returns a store URL whose connections use it (search_path
 * through the URL's `options`): a clean namespace in milliseconds, where CREATE DATABASE copies a
 * template and takes about a second on a busy machine. `schema` must be a plain SQL identifier.
 */
export async function freshSchemaUrl(clusterUrl: string, schema: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`not a plain schema name: ${schema}`);
  const { default: pg } = await import("pg");
  const admin = new pg.Client(clusterUrl);
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await admin.end();
  }
  return `${clusterUrl}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

export class PostgresMissingError extends Error {
  override name = "PostgresMissingError";
}

/** The bin directory of the newest PostgreSQL on the machine (or $RUSHHOUR_PG_BIN). */
export function findPostgresBin(): string {
  const fromEnv = process.env.RUSHHOUR_PG_BIN;
  if (fromEnv) {
    if (existsSync(join(fromEnv, "initdb")) && existsSync(join(fromEnv, "pg_ctl"))) return fromEnv;
    throw new PostgresMissingError(`RUSHHOUR_PG_BIN=${fromEnv} holds no initdb and pg_ctl`);
  }
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter(
          (v) => existsSync(join(root, v, "bin", "initdb")) && existsSync(join(root, v, "bin", "pg_ctl")),
        )
        .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))
    : [];
  const newest = versions[0];
  if (newest === undefined) {
    throw new PostgresMissingError(
      "PostgreSQL binaries not found (looked for /usr/lib/postgresql/*/bin/initdb and pg_ctl); " +
        "install them (apt-get install postgresql) or set RUSHHOUR_PG_BIN to their directory",
    );
  }
  return join(root, newest, "bin");
}

export async function startThrowawayPostgres(
  options: ThrowawayPostgresOptions = {},
): Promise<ThrowawayPostgres> {
  const bin = findPostgresBin();
  const asRoot = process.getuid?.() === 0;
  // The directory is removed on stop, so a given one must be new or empty: never delete what we did not make.
  if (options.dir !== undefined && existsSync(options.dir) && readdirSync(options.dir).length > 0) {
    throw new Error(`the throwaway cluster directory ${options.dir} is not empty (it is removed on stop)`);
  }
  const base = options.dir ?? mkdtempSync(join(tmpdir(), "rushhour-pg-"));
  mkdirSync(base, { recursive: true });
  const data = join(base, "data");
  const log = join(base, "postgres.log");
  if (asRoot) {
    const { uid, gid } = postgresUser();
    chownSync(base, uid, gid);
  }
  const run = (tool: string, args: string[]) => runAs(asRoot, join(bin, tool), args);

  let stopped = false;
  let watchdog: ChildProcess | undefined;
  const onExit = () => {
    // The test or command died without stopping us: never leave a cluster running.
    try {
      const argv = asRoot
        ? ["-u", "postgres", "--", join(bin, "pg_ctl"), "-D", data, "stop", "-m", "immediate", "-w"]
        : ["-D", data, "stop", "-m", "immediate", "-w"];
      execFileSync(asRoot ? "runuser" : join(bin, "pg_ctl"), argv, { stdio: "ignore" });
    } catch {
      // Not running; nothing to stop.
    }
    rmSync(base, { recursive: true, force: true });
  };

  try {
    await run("initdb", [
      "-D",
      data,
      "-U",
      "postgres",
      "--auth=trust",
      "-E",
      "UTF8",
      "--no-locale",
      "--no-sync",
    ]);
    process.on("exit", onExit);
    watchdog = startWatchdog(asRoot, join(bin, "pg_ctl"), data, base);
    let port = options.port ?? (await freePort());
    // A picked port can be taken between picking and binding; try a few before giving up.
    for (let attempt = 1; ; attempt++) {
      const settings = {
        listen_addresses: "127.0.0.1",
        port: String(port),
        unix_socket_directories: base,
        fsync: "off",
        full_page_writes: "off",
        max_connections: "200",
        ...options.settings,
      };
      const serverOptions = Object.entries(settings)
        .map(([k, v]) => `-c ${k}=${v}`)
        .join(" ");
      try {
        await run("pg_ctl", ["-D", data, "-l", log, "-o", serverOptions, "-w", "-t", "60", "start"]);
        break;
      } catch (error) {
        if (options.port !== undefined || attempt >= 3) throw withLog(error, log);
        port = await freePort();
      }
    }
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      process.off("exit", onExit);
      watchdog?.kill();
      try {
        await run("pg_ctl", ["-D", data, "stop", "-m", "immediate", "-w"]);
      } finally {
        rmSync(base, { recursive: true, force: true });
      }
    };
    return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, port, dir: base, stop };
  } catch (error) {
    watchdog?.kill();
    onExit();
    process.off("exit", onExit);
    throw error;
  }
}

/**
 * A small shell process that stops the cluster and removes its directory once this process is gone,
 * however it went (an `exit` handler does not run after SIGKILL or an unhandled signal).
 */
function startWatchdog(asRoot: boolean, pgCtl: string, data: string, base: string): ChildProcess {
  const script = [
    'while kill -0 "$1" 2>/dev/null; do sleep 1; done',
    'if [ "$5" = 1 ]; then runuser -u postgres -- "$2" -D "$3" stop -m immediate; else "$2" -D "$3" stop -m immediate; fi',
    'rm -rf "$4"',
  ].join("\n");
  const child = spawn(
    "sh",
    ["-c", script, "rushhour-pg-watchdog", String(process.pid), pgCtl, data, base, asRoot ? "1" : "0"],
    {
      detached: true,
      stdio: "ignore",
    },
  );
  child.unref();
  return child;
}

function runAs(asRoot: boolean, file: string, args: string[]): Promise<string> {
  const [cmd, argv] = asRoot ? ["runuser", ["-u", "postgres", "--", file, ...args]] : [file, args];
  return new Promise((resolve, reject) => {
    execFile(cmd, argv, { cwd: tmpdir(), timeout: 120_000 }, (error, stdout, stderr) => {
      if (error)
        reject(new Error(`${file} ${args[args.length - 1]} failed: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
  });
}

function postgresUser(): { uid: number; gid: number } {
  try {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    return { uid, gid };
  } catch {
    throw new PostgresMissingError(
      "running as root needs a `postgres` user to own the throwaway cluster (initdb refuses root); none exists",
    );
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function withLog(error: unknown, log: string): Error {
  let tail = "";
  try {
    tail = readFileSync(log, "utf8").trim().split("\n").slice(-5).join("\n");
  } catch {
    // No log yet.
  }
  const message = error instanceof Error ? error.message : String(error);
  return new Error(tail ? `${message}\n${tail}` : message);
}
