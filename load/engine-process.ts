// An engine process: one LoadEngine with its own gRPC channels, in a child process of the driver's host
// (load/pool.ts says why a process and not a thread). It takes its spec as the first IPC message,
// streams window reports back and sends its final report (histograms encoded, its own CPU time) when
// its share is done. The parent is in charge: when the IPC channel closes (the parent exited or was
// killed) the engine stops at once.
import { type EngineSpec, LoadEngine } from "./engine.ts";
import type { FinalReport, WindowReport } from "./window-stats.ts";

export type ToEngine =
  | { type: "spec"; spec: EngineSpec }
  | { type: "start"; startAtEpochMs: number }
  | { type: "abort" };
export type FromEngine =
  | { type: "ready" }
  | { type: "window"; report: WindowReport }
  | { type: "final"; report: FinalReport; cpuMs: number }
  | { type: "error"; message: string };

if (process.send === undefined)
  throw new Error("load/engine-process.ts must run as a child process with IPC");
const post = (m: FromEngine, then?: () => void) => {
  if (process.connected) process.send?.(m, undefined, {}, then);
};
let engine: LoadEngine | null = null;
let started = false;

process.on("disconnect", () => process.exit(0));
process.on("message", (m: ToEngine) => {
  if (m.type === "spec" && engine === null) {
    const e = new LoadEngine(m.spec, { window: (report) => post({ type: "window", report }) });
    engine = e;
    e.connect().then(
      () => post({ type: "ready" }),
      (err: unknown) => post({ type: "error", message: describe(err) }),
    );
  } else if (m.type === "abort") engine?.abort();
  else if (m.type === "start" && engine !== null && !started) {
    started = true;
    engine.start(m.startAtEpochMs).then(
      (report) => {
        const cpu = process.cpuUsage();
        // The report must reach the parent before the channel closes: disconnect once it is sent.
        post({ type: "final", report, cpuMs: (cpu.user + cpu.system) / 1000 }, () => process.disconnect());
      },
      (err: unknown) => post({ type: "error", message: describe(err) }),
    );
  }
});

function describe(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
