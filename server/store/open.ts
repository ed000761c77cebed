// Opens a store from a URL: `memory:`, `sqlite:PATH` (`sqlite::memory:` for a private in-memory
// database) or `postgres://user@host:port/db`. The SQL drivers are loaded only when asked for, so a
// memory store never loads a native module.
//
// Durability (docs/ARCHITECTURE.md rule P1: an accepted order is recorded before it is acknowledged): every
// store's promise settles only after its write is committed. memory: nothing survives the process.
// sqlite: committed to the WAL before the promise settles (group commit batches one event-loop turn);
// survives kill -9, and with synchronous "full" also power loss. postgres: writes issued together share one
// committed statement (group commit, pg-batch.ts), as durable as the server's own settings (the
// throwaway test cluster runs with fsync off).
import { MemoryStore } from "./memory.ts";
import { redactStoreUrl } from "./redact-url.ts";
import type { Store } from "./types.ts";

export { toCardStorePort } from "./card-port.ts";
export { CardCsvError, importCardCsv, parseCardCsv } from "./csv.ts";
export { redactStoreUrl, redactStoreUrls } from "./redact-url.ts";
export { cardCode, type SeedOptions, type SeedResult, seedStock } from "./seed.ts";

export interface OpenStoreOptions {
  /**
   * PostgreSQL: connections in the pool (default 16, or `?pool=N` in the URL). `?batches=N` in the URL:
   * most group-commit statements out at once (default 4; 0 turns group commit off).
   */
  poolSize?: number;
  /**
   * SQLite: `normal` (default; WAL survives a process crash, the last commits may be lost on power loss)
   * or `full` (every commit is fsynced).
   */
  synchronous?: "normal" | "full";
  /**
   * SQLite and PostgreSQL: group commit (default true). SQLite: operations issued in one event-loop
   * turn share one transaction. PostgreSQL: writes issued together go as one statement (pg-batch.ts).
   * Either way each promise settles only after its transaction commits.
   */
  groupCommit?: boolean;
  /**
   * SQLite: WAL checkpoints on a worker thread every this many ms (default 100); 0 leaves them to the
   * serving connection (SQLite's automatic checkpoint every 1,000 pages). sqlite-checkpointer.ts says why.
   */
  sqliteCheckpointMs?: number;
}

export const STORE_URL_FORMS = [
  "memory:",
  "sqlite:./data/rushhour.db",
  "sqlite::memory:",
  "postgres://user@host:port/db",
];

export class StoreUrlError extends Error {
  override name = "StoreUrlError";
}

export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const target = parseStoreUrl(url);
  switch (target.kind) {
    case "memory":
      return new MemoryStore();
    case "sqlite": {
      const { openSqliteStore } = await import("./sqlite.ts");
      return openSqliteStore(target.path, {
        synchronous: options.synchronous ?? "normal",
        groupCommit: options.groupCommit ?? true,
        ...(options.sqliteCheckpointMs !== undefined ? { checkpointMs: options.sqliteCheckpointMs } : {}),
      });
    }
    case "postgres": {
      const { openPostgresStore } = await import("./postgres.ts");
      return openPostgresStore(target.connectionString, {
        poolSize: options.poolSize ?? target.poolSize ?? 16,
        groupCommit: (options.groupCommit ?? true) && target.batches !== 0,
        ...(target.batches ? { batchesInFlight: target.batches } : {}),
      });
    }
  }
}

export type StoreTarget =
  | { kind: "memory" }
  | { kind: "sqlite"; path: string }
  | {
      kind: "postgres";
      connectionString: string;
      poolSize: number | undefined;
      /** `?batches=N`: most group-commit statements out at once; 0 turns group commit off. */
      batches: number | undefined;
    };

/** Parses a store URL; throws StoreUrlError naming the accepted forms (the password redacted). */
export function parseStoreUrl(url: string): StoreTarget {
  const bad = (why: string) =>
    new StoreUrlError(
      `bad store URL ${JSON.stringify(redactStoreUrl(url))}: ${why}; accepted forms: ${STORE_URL_FORMS.join(", ")}`,
    );
  if (url === "memory:" || url === "memory") return { kind: "memory" };
  if (url.startsWith("sqlite:")) {
    const path = url.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "");
    if (path === "") throw bad("the SQLite file path is missing");
    return { kind: "sqlite", path };
  }
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw bad("it is not a valid URL");
    }
    if (parsed.hostname === "") throw bad("the PostgreSQL host is missing");
    if (parsed.pathname.length <= 1) throw bad("the PostgreSQL database name is missing");
    let poolSize: number | undefined;
    const pool = parsed.searchParams.get("pool");
    if (pool !== null) {
      poolSize = Number(pool);
      if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 1000) throw bad("pool must be 1..1000");
      parsed.searchParams.delete("pool");
    }
    let batches: number | undefined;
    const batchParam = parsed.searchParams.get("batches");
    if (batchParam !== null) {
      batches = Number(batchParam);
      if (!Number.isInteger(batches) || batches < 0 || batches > 64) throw bad("batches must be 0..64");
      parsed.searchParams.delete("batches");
    }
    return { kind: "postgres", connectionString: parsed.toString(), poolSize, batches };
  }
  throw bad("unknown scheme");
}
