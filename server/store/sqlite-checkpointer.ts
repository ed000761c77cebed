// WAL checkpoints of a SQLite store file, on a thread of their own. A checkpoint copies committed pages
// from the -wal file into the database and fsyncs both; run by the serving connection (SQLite's
// automatic checkpoint, every 1,000 WAL pages), those fsyncs stall the event loop that answers orders.
// Here a worker thread with its own connection checkpoints PASSIVE (never blocking the writer) every
// `intervalMs`; the serving connection keeps an automatic checkpoint at `backstopPages` for when this
// thread falls behind, since only a checkpoint run between two of the writer's transactions can
// finish the WAL and let it restart from its beginning. Durability is unchanged: commits are in the
// WAL before they are acknowledged, whoever copies them on.
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

export interface Checkpointer {
  /** Stops the thread and closes its connection; resolves once the thread has exited. */
  stop(): Promise<void>;
}

/**
 * The thread's code: plain CommonJS evaluated in the worker (no TypeScript loader is registered in a
 * worker started from `rushhour`'s tsx hook), loading better-sqlite3 from where this package has it.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path, { timeout: workerData.busyTimeoutMs });
db.pragma("synchronous = " + workerData.synchronous);
let timer = null;
const tick = () => {
  try { db.pragma("wal_checkpoint(PASSIVE)"); } catch { /* busy or I/O: the serving connection's backstop checkpoints */ }
  timer = setTimeout(tick, workerData.intervalMs);
};
timer = setTimeout(tick, workerData.intervalMs);
parentPort.on("message", () => {
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
`;

export function startCheckpointer(options: {
  path: string;
  synchronous: "NORMAL" | "FULL";
  intervalMs: number;
  busyTimeoutMs: number;
}): Checkpointer {
  const driver = createRequire(import.meta.url).resolve("better-sqlite3");
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ...options, driver } });
  // A store left open must not keep the process alive for its checkpoints.
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  // An error in the thread (it could not open the file) ends it; the backstop checkpoint takes over.
  worker.on("error", () => {});
  return {
    stop() {
      // Held while it stops: a process whose last work is closing the store would otherwise end with
      // the close still waiting for the thread (Node's exit code 13, an unsettled top-level await).
      worker.ref();
      worker.postMessage("stop");
      return exited;
    },
  };
}
