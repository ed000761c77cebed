// The fixture server as its own process (for the benchmark: the driver's CPU must not include the
// server's). Prints "listening on HOST:PORT" and runs until stdin closes or SIGTERM.
// FIXTURE_LATENCY_MS sets the latency; FIXTURE_LEAN=1 serves over node:http2 instead of grpc-js.
// A line "stats" on stdin is answered "stats CPU_US ACTIVE_MS IDLE_MS RECEIVED": the process's CPU
// time and its event loop's busy and idle time so far, so that the benchmark can say which process
// was CPU-bound.
import { performance } from "node:perf_hooks";
import { startFixtureServer } from "./fixture-server.ts";

const server = await startFixtureServer({
  latencyMs: Number(process.env.FIXTURE_LATENCY_MS ?? 0),
  lean: process.env.FIXTURE_LEAN === "1",
});
process.stdout.write(`listening on ${server.address}\n`);
const stop = () => void server.close().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.stdin.on("end", stop);
let pending = "";
process.stdin.on("data", (d: Buffer) => {
  pending += d.toString();
  for (let nl = pending.indexOf("\n"); nl >= 0; nl = pending.indexOf("\n")) {
    const line = pending.slice(0, nl).trim();
    pending = pending.slice(nl + 1);
    if (line !== "stats") continue;
    const cpu = process.cpuUsage();
    const elu = performance.eventLoopUtilization();
    process.stdout.write(
      `stats ${cpu.user + cpu.system} ${elu.active.toFixed(3)} ${elu.idle.toFixed(3)} ${server.received()}\n`,
    );
  }
});
