// Orders/s of `rushhour serve` (memory and SQLite stores, zero-latency local providers) against a
// bare grpc-js echo of the same RPC, under the same client, side by side in one run; then latency
// at 1,500 orders/s (open model) for both, whose P99 difference is the server's overhead.
// Targets (issue 5): serve/echo >= 0.6 (memory), >= 0.4 (SQLite); P99 overhead < 20 ms at 1,500/s.
// Then what the load driver's per-window GetSnapshot costs those servers, with the operation timings and
// without (what the driver asks for since 59e327f). Then (issue 17) the cost of credentials, side by side
// in one run: plain vs client tokens (serve --client-tokens) vs TLS (serve --tls-cert) vs both, memory
// store, closed loop.

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { type ChannelCredentials, credentials, Metadata, ServerCredentials, status } from "@grpc/grpc-js";
import { Admin } from "../load/admin.ts";
import { CustomerTier, OrderState } from "../proto/gen/rushhour/v1/common.ts";
import {
  DispatchServiceClient,
  DispatchServiceService,
  type SubmitOrderRequest,
  type SubmitOrderResponse,
  WaitMode,
} from "../proto/gen/rushhour/v1/dispatch.ts";
import { createGrpcServer } from "../server/grpc/server.ts";
import { SERVER_NODE_FLAGS } from "../server/node-flags.ts";
import type { Spawned } from "../test/support/spawn.ts";
import { makeTestPki } from "../test/support/tls.ts";
import { LEAN_ADMIN_TOKEN, LEAN_SKUS, spawnLeanServe } from "./support/lean-serve.ts";

const CHANNELS = 4;
const CONCURRENCY = 64;
const WARMUP_MS = 300;
const ROUND_MS = 1500;
const ROUNDS = 5;
/** Open-model rounds: P99 is set by rare stalls on this shared machine, so it gets more samples. */
const OPEN_ROUNDS = 8;
const OPEN_RATE = 1500;
/** Four arms whose differences are small next to this machine's drift: more rounds each. */
const CREDENTIAL_ROUNDS = 8;
/** GetSnapshot calls per arm (with and without the operation timings) after the closed loop. */
const SNAPSHOT_CALLS = 15;

/** How a client reaches a server: plaintext or TLS, with or without a client token. */
interface Access {
  creds: () => ChannelCredentials;
  metadata: Metadata;
  /** Extra channel options (TLS: the name to check the certificate against). */
  options?: Record<string, string>;
}

const PLAIN: Access = { creds: () => credentials.createInsecure(), metadata: new Metadata() };

function channels(address: string, access: Access): DispatchServiceClient[] {
  // A local subchannel pool per client: four real TCP connections, not one shared one.
  return Array.from(
    { length: CHANNELS },
    () =>
      new DispatchServiceClient(address, access.creds(), {
        "grpc.use_local_subchannel_pool": 1,
        ...access.options,
      }),
  );
}

let keySeq = 0;
function request(): SubmitOrderRequest {
  const n = ++keySeq;
  return {
    idempotencyKey: `bench-${process.pid}-${n}`,
    sku: `sku-${(n % LEAN_SKUS) + 1}`,
    tier: n % 10 === 0 ? CustomerTier.CUSTOMER_TIER_VIP : CustomerTier.CUSTOMER_TIER_STANDARD,
    waitMode: WaitMode.WAIT_MODE_DELIVERED,
  };
}

function submit(client: DispatchServiceClient, metadata: Metadata): Promise<SubmitOrderResponse> {
  return new Promise((resolve, reject) => {
    client.submitOrder(request(), metadata, { deadline: Date.now() + 10_000 }, (err, res) =>
      err ? reject(err) : resolve(res),
    );
  });
}

/** Closed loop: CONCURRENCY calls always in flight; returns completed calls per second after warm-up. */
async function throughput(
  address: string,
  measureMs: number,
  access: Access = PLAIN,
): Promise<{ done: number; elapsedMs: number; errors: number; delivered: number }> {
  const clients = channels(address, access);
  let counting = false;
  let done = 0;
  let errors = 0;
  let delivered = 0;
  let stop = false;
  const loop = async (i: number) => {
    const client = clients[i % CHANNELS]!;
    while (!stop) {
      try {
        const res = await submit(client, access.metadata);
        if (counting) {
          done++;
          if (res.order?.state === OrderState.ORDER_STATE_DELIVERED) delivered++;
        }
      } catch {
        if (counting) errors++;
      }
    }
  };
  const loops = Array.from({ length: CONCURRENCY }, (_, i) => loop(i));
  await sleep(WARMUP_MS);
  counting = true;
  const t0 = performance.now();
  await sleep(measureMs);
  counting = false;
  const elapsed = performance.now() - t0;
  stop = true;
  await Promise.all(loops);
  for (const c of clients) c.close();
  return { done, elapsedMs: elapsed, errors, delivered };
}

/** Open model at `rate`/s: each call timed from its intended start. Returns client-side latencies (ms). */
async function openLoop(address: string, rate: number, durationMs: number) {
  const clients = channels(address, PLAIN);
  const latencies: number[] = [];
  const serverTotals: number[] = [];
  let errors = 0;
  let sent = 0;
  const total = Math.round((rate * durationMs) / 1000);
  const t0 = performance.now() + 50;
  const pending: Promise<void>[] = [];
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (sent < total && t0 + (sent * 1000) / rate <= now) {
        const intended = t0 + (sent * 1000) / rate;
        const client = clients[sent % CHANNELS]!;
        sent++;
        pending.push(
          submit(client, PLAIN.metadata).then(
            (res) => {
              latencies.push(performance.now() - intended);
              serverTotals.push((res.order?.timings?.acceptMs ?? 0) + (res.order?.timings?.totalMs ?? 0));
            },
            () => {
              errors++;
            },
          ),
        );
      }
      if (sent >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  await Promise.all(pending);
  for (const c of clients) c.close();
  return { latencies, serverTotals, errors };
}

/** utime + stime of a process from /proc, in ms (Linux; 0 elsewhere). */
function processCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pct(xs: number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = Float64Array.from(xs).sort();
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

/** The echo: the same RPC and messages, answered at once with a canned delivered order. */
async function runEchoServer(): Promise<void> {
  // The same server options and node flags as `rushhour serve`: the difference measured is our code.
  const server = createGrpcServer();
  server.addService(DispatchServiceService, {
    submitOrder: (call: { request: SubmitOrderRequest }, cb: (e: null, r: SubmitOrderResponse) => void) => {
      cb(null, {
        replayed: false,
        order: {
          orderId: `echo-${call.request.idempotencyKey}`,
          idempotencyKey: call.request.idempotencyKey,
          sku: call.request.sku,
          tier: call.request.tier,
          state: OrderState.ORDER_STATE_DELIVERED,
          cardCode: "GC-ECHO-ECHO-ECHO",
          lane: 2,
          cluster: 1,
          providerId: "p1",
          attempts: 1,
          timings: { acceptMs: 0, queuedMs: 0, allocatingMs: 0, issuingMs: 0, retryingMs: 0, totalMs: 0 },
          rejectReason: "",
          failureReason: "",
          acceptedAtUnixMs: Date.now(),
          finishedAtUnixMs: Date.now(),
          fromCache: false,
          canary: false,
        },
      });
    },
    getOrder: (_call: unknown, cb: (e: { code: status }) => void) => cb({ code: status.UNIMPLEMENTED }),
    watchOrder: (call: { end(): void }) => call.end(),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  process.stdout.write(`echo listening on 127.0.0.1:${port}\n`);
  process.on("SIGTERM", () => server.forceShutdown());
}

function spawnEcho(): Promise<Spawned> {
  const file = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...SERVER_NODE_FLAGS, "--import", "tsx", file, "--echo-server"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise<number | string>((r) => proc.on("exit", (code, sig) => r(code ?? sig ?? "?")));
    let out = "";
    proc.stdout!.setEncoding("utf8");
    proc.stdout!.on("data", (chunk: string) => {
      out += chunk;
      const m = /echo listening on (\S+)/.exec(out);
      if (m) {
        const stop = () => {
          proc.kill("SIGKILL");
          return exited;
        };
        resolve({
          proc,
          address: m[1]!,
          port: Number(m[1]!.split(":")[1]),
          stdout: [],
          stderr: [],
          exited,
          stop,
          kill: stop,
        });
      }
    });
    exited.then((code) => reject(new Error(`echo server exited (${code})`)));
  });
}

export interface Target {
  name: string;
  proc: Spawned;
  /** Server process CPU (user + system) spent during the closed-loop rounds. */
  cpuMs: number;
  done: number;
  elapsedMs: number;
  errors: number;
  delivered: number;
  latencies: number[];
  serverTotals: number[];
  openErrors: number;
}

const target = (name: string, proc: Spawned): Target => ({
  name,
  proc,
  cpuMs: 0,
  done: 0,
  elapsedMs: 0,
  errors: 0,
  delivered: 0,
  latencies: [],
  serverTotals: [],
  openErrors: 0,
});

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "rushhour-bench-"));
  const targets: Target[] = [];
  try {
    // All three servers run at once; rounds alternate between them so that drifting load on this shared
    // machine hits each about equally (the ratios are the figures to trust, not the absolute rates).
    targets.push(target("grpc-js echo", await spawnEcho()));
    targets.push(target("serve, memory store", await spawnLeanServe("memory:")));
    targets.push(target("serve, SQLite store", await spawnLeanServe(`sqlite:${join(dir, "bench.db")}`)));
    const [echo, memory, sqlite] = targets as [Target, Target, Target];
    // The open-model phase first, on fresh servers (after a short warm-up for the JIT): the memory store keeps
    // every order, and a heap grown by the closed-loop phase would add major-GC pauses to the tail measured.
    for (const t of targets) await throughput(t.proc.address, 500);
    for (const t of [echo, memory]) await openLoop(t.proc.address, OPEN_RATE, 1000);
    for (let round = 0; round < OPEN_ROUNDS; round++) {
      for (const t of round % 2 === 0 ? [echo, memory] : [memory, echo]) {
        const r = await openLoop(t.proc.address, OPEN_RATE, ROUND_MS);
        t.latencies.push(...r.latencies);
        t.serverTotals.push(...r.serverTotals);
        t.openErrors += r.errors;
      }
    }
    const e99 = pct(echo.latencies, 0.99);
    const m99 = pct(memory.latencies, 0.99);
    console.log(
      `open model at ${OPEN_RATE} orders/s, ${OPEN_ROUNDS} alternating rounds of ${ROUND_MS / 1000} s, latency from intended start:`,
    );
    console.log(
      `  echo   p50 ${pct(echo.latencies, 0.5).toFixed(2)} ms  p99 ${e99.toFixed(2)} ms  errors ${echo.openErrors}`,
    );
    console.log(
      `  serve  p50 ${pct(memory.latencies, 0.5).toFixed(2)} ms  p99 ${m99.toFixed(2)} ms  errors ${memory.openErrors}  (server-reported accept+total p99 ${pct(memory.serverTotals, 0.99).toFixed(2)} ms)`,
    );
    console.log(
      `  server-side P99 overhead (serve p99 - echo p99) ${(m99 - e99).toFixed(2)} ms  (target < 20 ms)`,
    );

    console.log(
      `closed loop: ${CONCURRENCY} concurrent SubmitOrder(WAIT_MODE_DELIVERED) over ${CHANNELS} channels, ${ROUNDS} alternating rounds of ${ROUND_MS / 1000} s each`,
    );
    await closedRounds(targets.map((t) => ({ t, access: PLAIN })));
    const rate = (t: Target) => (t.done / t.elapsedMs) * 1000;
    for (const t of targets) {
      console.log(
        `  ${t.name.padEnd(22)} ${rate(t).toFixed(0).padStart(7)} orders/s  (errors ${t.errors}${t === echo ? "" : `, delivered ${t.delivered}`})`,
      );
    }
    console.log(`  ratio memory/echo  ${(rate(memory) / rate(echo)).toFixed(2)}  (target >= 0.6)`);
    console.log(`  ratio SQLite/echo  ${(rate(sqlite) / rate(echo)).toFixed(2)}  (target >= 0.4)`);
    // Server CPU per order drifts far less with the machine's load than the rates do: the ratio of echo's
    // CPU per call to serve's CPU per order is what the throughput ratio tends to when the server is the bottleneck.
    const perOrder = (t: Target) => (t.cpuMs * 1000) / Math.max(1, t.done);
    for (const t of targets)
      console.log(`  ${t.name.padEnd(22)} server CPU ${perOrder(t).toFixed(0).padStart(5)} µs/order`);
    console.log(
      `  CPU ratio echo/memory ${(perOrder(echo) / perOrder(memory)).toFixed(2)}, echo/SQLite ${(perOrder(echo) / perOrder(sqlite)).toFixed(2)}`,
    );
    await snapshotCosts([memory, sqlite]);
    await credentialCosts(dir, targets);
  } finally {
    await Promise.all(targets.map((t) => t.proc.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What the load driver's per-window sample costs a server that has served the closed loop's orders:
 * GetSnapshot's round trip with the operation timings (101 quantiles, mean and histogram of each timed
 * operation) and without them (what the driver asks for since 59e327f), alternating, median of each.
 * The round trip is time the server's event loop spends on the call, which its orders queue behind. Both
 * arms are today's code (each timing's mean is a kept sum); the lean server's providers answer at once, so
 * its provider timings fill few histogram buckets: a server behind a farm pays more for the quantiles (at
 * c2b9443, with the mean walking the buckets, calibrate read a round trip of 29 ms on a local promo-peak stack).
 */
async function snapshotCosts(targets: Target[]): Promise<void> {
  console.log(`GetSnapshot round trip after the closed loop, median of ${SNAPSHOT_CALLS} each, alternating:`);
  for (const t of targets) {
    const admin = new Admin(t.proc.address, LEAN_ADMIN_TOKEN);
    try {
      const times = { with: [] as number[], without: [] as number[] };
      for (let i = 0; i < SNAPSHOT_CALLS; i++) {
        for (const operations of i % 2 === 0 ? [true, false] : [false, true]) {
          const t0 = performance.now();
          await admin.getSnapshot(undefined, { operations });
          (operations ? times.with : times.without).push(performance.now() - t0);
        }
      }
      const a = pct(times.with, 0.5);
      const b = pct(times.without, 0.5);
      console.log(
        `  ${t.name.padEnd(22)} with operations ${a.toFixed(2)} ms, without ${b.toFixed(2)} ms  (ratio ${(a / b).toFixed(1)})`,
      );
    } finally {
      admin.close();
    }
  }
}

/**
 * `rounds` closed-loop rounds per arm, the arms in rotating order so that drifting load on this shared
 * machine hits each about equally; adds each round's counts and the server's CPU to its target.
 */
async function closedRounds(arms: { t: Target; access: Access }[], rounds = ROUNDS): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < arms.length; k++) {
      const { t, access } = arms[(round + k) % arms.length]!;
      const cpuBefore = processCpuMs(t.proc.proc.pid!);
      const r = await throughput(t.proc.address, ROUND_MS, access);
      t.cpuMs += processCpuMs(t.proc.proc.pid!) - cpuBefore;
      t.done += r.done;
      t.elapsedMs += r.elapsedMs;
      t.errors += r.errors;
      t.delivered += r.delivered;
    }
  }
}

/**
 * Plain vs client tokens vs TLS vs both (memory store, closed loop), alternating rounds in one run, each
 * arm a fresh server (the memory store keeps every order: an older one would carry a bigger heap).
 * Each server started here joins `targets` (stopped by run()).
 */
async function credentialCosts(dir: string, targets: Target[]): Promise<void> {
  const pki = makeTestPki();
  try {
    const tokens = join(dir, "clients.txt");
    writeFileSync(tokens, "bench-client:bench-client-token-0123456789\n", { mode: 0o600 });
    const tls = ["--tls-cert", pki.serverCert, "--tls-key", pki.serverKey];
    const ca = pki.read(pki.caCert);
    const token = new Metadata();
    token.set("authorization", "Bearer bench-client-token-0123456789");
    const viaTls = () => credentials.createSsl(ca);
    // The certificate names 127.0.0.1 and localhost; SNI must be a name, not an IP (RFC 6066).
    const tlsOptions = { "grpc.ssl_target_name_override": "localhost" };
    const arm = async (name: string, extra: string[], access: Access) => {
      const t = target(name, await spawnLeanServe("memory:", extra));
      targets.push(t);
      return { t, access };
    };
    const arms = [
      await arm("plain", [], PLAIN),
      await arm("client tokens", ["--client-tokens", tokens], { creds: PLAIN.creds, metadata: token }),
      await arm("TLS", tls, { creds: viaTls, metadata: new Metadata(), options: tlsOptions }),
      await arm("TLS + client tokens", [...tls, "--client-tokens", tokens], {
        creds: viaTls,
        metadata: token,
        options: tlsOptions,
      }),
    ];
    await compareArms("credentials", arms);
  } finally {
    pki.remove();
  }
}

/**
 * Tracing off vs on at 1% vs on at 100% (serve --otlp to a real OTLP/gRPC receiver in this process;
 * memory store, closed loop), alternating rounds, each arm a fresh server. Each server joins `targets`.
 */
export async function tracingCosts(targets: Target[], otlpUrl: string): Promise<void> {
  const arm = async (name: string, extra: string[]) => {
    const t = target(name, await spawnLeanServe("memory:", extra));
    targets.push(t);
    return { t, access: PLAIN };
  };
  const arms = [
    await arm("tracing off", []),
    // Slow orders are always traced; on this loaded closed loop many orders pass the 1 s default, so the
    // bar is raised to measure the sampling ratio alone.
    await arm("tracing at 1%", ["--otlp", otlpUrl, "--trace-ratio", "0.01", "--trace-slow-ms", "600000"]),
    await arm("tracing at 100%", ["--otlp", otlpUrl, "--trace-ratio", "1"]),
    // A second server with tracing off: how far two identical arms differ here (the noise floor).
    await arm("tracing off (A/A)", []),
  ];
  await compareArms("tracing", arms);
}

/**
 * Arms of one question (the first is the reference) warmed up, then run in alternating closed-loop rounds;
 * prints each arm's rate and server CPU per order, and their ratios to the reference.
 */
async function compareArms(question: string, arms: { t: Target; access: Access }[]): Promise<void> {
  for (const a of arms) await throughput(a.t.proc.address, 500, a.access);
  console.log(
    `${question}: the same closed loop, memory store, ${CREDENTIAL_ROUNDS} alternating rounds of ${ROUND_MS / 1000} s each`,
  );
  await closedRounds(arms, CREDENTIAL_ROUNDS);
  const rate = (t: Target) => (t.done / t.elapsedMs) * 1000;
  const perOrder = (t: Target) => (t.cpuMs * 1000) / Math.max(1, t.done);
  const base = arms[0]!.t;
  for (const { t } of arms) {
    console.log(
      `  ${t.name.padEnd(22)} ${rate(t).toFixed(0).padStart(7)} orders/s  server CPU ${perOrder(t).toFixed(0).padStart(5)} µs/order` +
        `  (errors ${t.errors}, delivered ${t.delivered})` +
        (t === base
          ? ""
          : `  ratio to ${base.name}: rate ${(rate(t) / rate(base)).toFixed(2)}, CPU/order ${(perOrder(t) / perOrder(base)).toFixed(2)}`),
    );
  }
}

/** Stops every server a bench part started. */
export async function stopTargets(targets: Target[]): Promise<void> {
  await Promise.all(targets.map((t) => t.proc.stop()));
}

if (process.argv.includes("--echo-server")) await runEchoServer();
