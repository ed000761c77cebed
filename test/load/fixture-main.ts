// The fixture server as its own process (for the benchmark: the driver's CPU must not include the
// server's). Prints "listening on HOST:PORT" and runs until stdin closes or SIGTERM.
// FIXTURE_LATENCY_MS sets the latency; FIXTURE_LEAN=1 serves over node:http2 instead of grpc-js.
import { startFixtureServer } from "./fixture-server.ts";

const server = await startFixtureServer({
  latencyMs: Number(process.env.FIXTURE_LATENCY_MS ?? 0),
  lean: process.env.FIXTURE_LEAN === "1",
});
process.stdout.write(`listening on ${server.address}\n`);
const stop = () => void server.close().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.stdin.on("end", stop);
process.stdin.resume();
