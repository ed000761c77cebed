// `npm run bench -- tracing`: what OpenTelemetry tracing of orders (serve --otlp) costs the server, off vs
// on at 1% vs on at 100%, side by side in one run (the closed loop and arms of bench/server.ts), exporting
// to a real OTLP/gRPC receiver in this process.
import { startOtlpReceiver } from "../test/support/otlp-receiver.ts";
import { stopTargets, type Target, tracingCosts } from "./server.ts";

export async function run(): Promise<void> {
  const receiver = await startOtlpReceiver();
  const targets: Target[] = [];
  try {
    await tracingCosts(targets, receiver.url);
    console.log(`  spans received: ${receiver.spans.length}`);
  } finally {
    await stopTargets(targets);
    await receiver.close();
  }
}
