// TLS on the server's gRPC port (serve --tls-cert/--tls-key, optionally --tls-client-ca): TLS clients
// work, the load driver (its lean HTTP/2 client and its Admin client) runs a scenario over it with a
// client token, a plaintext client is refused; with a client CA, the certificate's CN is the client.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { credentials, type Metadata, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCommand } from "../../../cli/commands/load.ts";
import { type LoadTarget, runLoad } from "../../../load/run-load.ts";
import { CustomerTier, OrderState } from "../../../proto/gen/rushhour/v1/common.ts";
import { type DispatchServiceClient, type Order, WaitMode } from "../../../proto/gen/rushhour/v1/dispatch.ts";
import { readRunResult } from "../../../results/run-result.ts";
import { validateScenario } from "../../../scenarios/define.ts";
import { type SpawnedServer, spawnServe } from "../../support/spawn.ts";
import { makeTestPki, type TestPki } from "../../support/tls.ts";
import { bearer, call, clients, failure } from "./clients.ts";

let pki: TestPki;
const running: SpawnedServer[] = [];
beforeAll(() => {
  pki = makeTestPki();
});
afterAll(async () => {
  await Promise.all(running.map((s) => s.stop()));
  pki?.remove();
});

async function serve(args: string[]): Promise<SpawnedServer> {
  const s = await spawnServe([
    "--skus",
    "sku-1,sku-2,sku-3",
    "--seed-stock",
    "200",
    "--tls-cert",
    pki.serverCert,
    "--tls-key",
    pki.serverKey,
    ...args,
  ]);
  running.push(s);
  return s;
}

/** 20 orders in 1 s through the load driver (runLoad) against `target`. */
function runTinyLoad(target: LoadTarget) {
  const scenario = validateScenario({
    name: "tls-load",
    traffic: { executor: "constant-arrival-rate", rate: 20, duration: "1s" },
    skus: { count: 3, zipfExponent: 1 },
    providers: [{ id: "p1", latency: { p50: "5ms", p99: "10ms" }, capacity: 10 }],
    cluster: { primary: { workers: 4 }, backup: { workers: 2 } },
    drain: "2s",
    window: "500ms",
  });
  const arm = { name: "adaptive", role: "single" as const, definition: {} };
  return runLoad({ scenario, arm, target, durationScale: 1, command: ["x"], cores: 1 });
}

let keys = 0;
function submit(d: DispatchServiceClient, metadata?: Metadata): Promise<Order> {
  return call(
    d.submitOrder,
    d,
    {
      idempotencyKey: `tls-${process.pid}-${++keys}`,
      sku: "sku-1",
      tier: CustomerTier.CUSTOMER_TIER_STANDARD,
      waitMode: WaitMode.WAIT_MODE_DELIVERED,
    },
    { metadata, deadlineMs: 10_000 },
  ).then((r) => r.order as Order);
}

describe("serve --tls-cert --tls-key", () => {
  it("serves TLS clients with tokens, the load driver included, and refuses plaintext", async () => {
    const tokens = join(pki.dir, "clients.txt");
    writeFileSync(tokens, "loader:token-llllllllllllllll\n");
    const s = await serve(["--client-tokens", tokens]);
    const tls = clients(s.address, credentials.createSsl(pki.read(pki.caCert)));
    const plain = clients(s.address);
    try {
      const order = await submit(tls.dispatch, bearer("token-llllllllllllllll"));
      expect(order.state).toBe(OrderState.ORDER_STATE_DELIVERED);
      const snapshot = await call(
        tls.admin.getSnapshot,
        tls.admin,
        { includeOperations: false },
        { metadata: bearer(s.adminToken) },
      );
      expect(snapshot.counters?.delivered).toBeGreaterThanOrEqual(1);
      // A plaintext client never gets an answer: the TLS port does not speak cleartext HTTP/2.
      const refused = await failure(submit(plain.dispatch, bearer("token-llllllllllllllll")));
      expect(refused.code).toBe(status.UNAVAILABLE);
    } finally {
      tls.close();
      plain.close();
    }

    // The load driver: its Admin client imports stock and samples snapshots, its lean HTTP/2 client
    // sends the orders, both over TLS, the orders with the client token.
    const { result } = await runTinyLoad({
      addresses: [s.address],
      adminToken: s.adminToken,
      tls: { ca: pki.read(pki.caCert).toString() },
      clientToken: "token-llllllllllllllll",
    });
    expect(result.counters).toMatchObject({ submitted: 20, delivered: 20, failed: 0 });
    // Server figures in the series come from GetSnapshot over the TLS Admin client.
    expect(result.series.some((w) => w.eventLoop !== undefined)).toBe(true);
  });

  it("rushhour load --target drives it with --tls-ca, --token-file and --admin-token-file", async () => {
    const tokens = join(pki.dir, "load-clients.txt");
    writeFileSync(tokens, "loader:token-cli-llllllllllll\n");
    const s = await serve(["--client-tokens", tokens]);
    const tokenFile = join(pki.dir, "client-token");
    const adminFile = join(pki.dir, "admin-token");
    writeFileSync(tokenFile, "token-cli-llllllllllll\n", { mode: 0o600 });
    writeFileSync(adminFile, `${s.adminToken}\n`, { mode: 0o600 });
    const out = join(pki.dir, "load-out");
    const scenario = new URL("../../load/fixtures/live-small.ts", import.meta.url).pathname;
    const code = await loadCommand.run([
      scenario,
      "--target",
      s.address,
      "--config",
      "adaptive",
      "--tls-ca",
      pki.caCert,
      "--token-file",
      tokenFile,
      "--admin-token-file",
      adminFile,
      "--duration-scale",
      "0.25",
      "--out",
      out,
    ]);
    expect(code).toBe(0);
    const result = readRunResult(join(out, "live-small.adaptive.json"));
    // 30/s for 8 s x 0.25, every one delivered: none refused for want of a token or a handshake.
    expect(result.counters).toMatchObject({ submitted: 60, delivered: 60 });
    // Server figures in the series: GetSnapshot answered the TLS Admin client with the file's token.
    expect(result.series.some((w) => w.eventLoop !== undefined)).toBe(true);
  });

  it("with --tls-client-ca: needs a client certificate and takes its CN as the client", async () => {
    const a = pki.client("client-a");
    const b = pki.client("client-b");
    const s = await serve(["--tls-client-ca", pki.caCert]);
    const ca = pki.read(pki.caCert);
    const asA = clients(s.address, credentials.createSsl(ca, pki.read(a.key), pki.read(a.cert)));
    const asB = clients(s.address, credentials.createSsl(ca, pki.read(b.key), pki.read(b.cert)));
    const anonymous = clients(s.address, credentials.createSsl(ca));
    try {
      const order = await submit(asA.dispatch);
      expect(order.state).toBe(OrderState.ORDER_STATE_DELIVERED);
      const mine = await call(asA.dispatch.getOrder, asA.dispatch, { orderId: order.orderId });
      expect(mine.order?.cardCode).toBe(order.cardCode);
      const theirs = await failure(call(asB.dispatch.getOrder, asB.dispatch, { orderId: order.orderId }));
      expect(theirs.code).toBe(status.NOT_FOUND);
      // No certificate: the handshake fails.
      expect((await failure(submit(anonymous.dispatch))).code).toBe(status.UNAVAILABLE);
    } finally {
      asA.close();
      asB.close();
      anonymous.close();
    }
    // The load driver with a client certificate (load --tls-client-cert/--tls-client-key).
    const { result } = await runTinyLoad({
      addresses: [s.address],
      adminToken: s.adminToken,
      tls: { ca: ca.toString(), cert: pki.read(a.cert).toString(), key: pki.read(a.key).toString() },
    });
    expect(result.counters).toMatchObject({ submitted: 20, delivered: 20, failed: 0 });
  });
});
