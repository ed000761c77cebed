// The fixture server as its own process (for the benchmark: the driver's CPU must not include the
// server's). Prints "listening on HOST:PORT" and runs until stdin closes or SIGTERM.
import { startFixtureServer } from "./fixture-server.ts";

const server = await startFixtureServer({ latencyMs: Number(process.env.FIXTURE_LATENCY_MS ?? 0) });
process.stdout.write(`listening on ${server.address}\n`);
const stop = () => void server.close().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.stdin.on("end", stop);
process.stdin.resume();
