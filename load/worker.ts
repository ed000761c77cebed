// A worker thread running one LoadEngine with its own gRPC channels; it streams window reports to
// the main thread and posts its final report (histograms encoded) when its share is done.
import { parentPort, workerData } from "node:worker_threads";
import { type EngineSpec, LoadEngine } from "./engine.ts";

export type ToWorker = { type: "start"; startAtEpochMs: number } | { type: "abort" };
export type FromWorker =
  | { type: "ready" }
  | { type: "window"; report: import("./window-stats.ts").WindowReport }
  | { type: "final"; report: import("./window-stats.ts").FinalReport }
  | { type: "error"; message: string };

const port = parentPort;
if (port === null) throw new Error("load/worker.ts must run in a worker thread");
const post = (m: FromWorker) => port.postMessage(m);
const engine = new LoadEngine(workerData as EngineSpec, {
  window: (report) => post({ type: "window", report }),
});
let started = false;
port.on("message", (m: ToWorker) => {
  if (m.type === "abort") engine.abort();
  else if (m.type === "start" && !started) {
    started = true;
    engine.start(m.startAtEpochMs).then(
      (report) => {
        post({ type: "final", report });
        port.close();
      },
      (err: unknown) => post({ type: "error", message: describe(err) }),
    );
  }
});
engine.connect().then(
  () => post({ type: "ready" }),
  (err: unknown) => post({ type: "error", message: describe(err) }),
);

function describe(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
