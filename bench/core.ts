// The dispatch core's own speed and memory, on the virtual clock with zero-latency ports (the
// store and providers answer synchronously), so what is measured is the core alone.
// - orders/s through submit -> claim -> issue -> deliver, for the legacy and adaptive presets
//   (target: >= 300,000 orders/s on the 2-core CI machine);
// - heap used sampled over 5 million orders (after a forced GC): flat memory means no per-order
//   state outlives its order (CORE_BENCH_TOTAL=1000000 for a shorter run).
// Wall-clock figures drift with the load other tenants put on this shared machine (the fixed reference
// work timed between samples shows by how much); the CPU-second figures (process.cpuUsage, GC helper
// threads included) drift less.
import { type DispatchConfig, PRESETS } from "../server/core/config.ts";
import { createDispatcher } from "../server/core/dispatcher.ts";
import { Xoshiro128 } from "../server/core/random.ts";
import type { OrderView } from "../server/core/types.ts";
import { VirtualEnvironment } from "../simulator/kernel/virtual-env.ts";
import { FakeCardStore, FakeProviders } from "../test/support/core-fakes.ts";
import { gc } from "./support/gc.ts";
import { referenceMs } from "./support/reference.ts";

/** 100 SKUs, skewed (a few popular ones), precomputed so the mix costs nothing per order. */
const SKUS = (() => {
  const rng = new Xoshiro128(1);
  return Array.from({ length: 4096 }, () => `sku-${Math.floor(100 * rng.next() ** 3)}`);
})();

/** Orders pushed through something on the virtual clock, counting deliveries. */
interface Harness {
  env: VirtualEnvironment;
  push(n: number): void;
  delivered(): number;
  stop(): void;
}

/** Zero-latency ports: lean fakes that answer synchronously. */
function leanPorts() {
  const env = new VirtualEnvironment(1);
  const store = new FakeCardStore(env);
  store.lean = true;
  const ids = ["p1", "p2", "p3", "p4"];
  const providers = new FakeProviders(env, ids, { kind: "ok", latencyMs: 0 });
  providers.lean = true;
  providers.syncZero = true;
  return { env, store, ids, providers };
}

/**
 * Pushes n more orders (`o<i>`, a SKU from the skewed mix, every 16th one VIP) at 1,500 orders/s of
 * virtual time (the write-up's peak), advancing the clock every 16 orders.
 */
function driver(env: VirtualEnvironment, submit: (orderId: string, sku: string, i: number) => void) {
  let next = 0;
  return (n: number) => {
    const end = next + n;
    for (; next < end; next++) {
      if ((next & 15) === 0) env.runUntil(next / 1.5);
      submit(`o${next}`, SKUS[next & 4095]!, next);
    }
  };
}

function harness(config: DispatchConfig): Harness {
  const { env, store, ids, providers } = leanPorts();
  // Live views, as the simulator runs the core (its listeners read and forget).
  const dispatcher = createDispatcher({
    env,
    config,
    store,
    providers: { ids, port: providers },
    liveViews: true,
  });
  let delivered = 0;
  const onChange = (v: OrderView) => {
    if (v.state === "DELIVERED") delivered++;
  };
  const push = driver(env, (orderId, sku, i) => {
    dispatcher.submit({ orderId, sku, tier: (i & 15) === 0 ? "vip" : "standard" }, onChange);
  });
  return { env, push, delivered: () => delivered, stop: () => dispatcher.stop() };
}

/**
 * The same orders through the same fake ports in the order the core calls them (stock, claim, issue,
 * deliver), with no core: what the harness itself costs per order, so the core's share can be told
 * apart from it. Not a target figure, a breakdown.
 */
function portsAlone(): Harness {
  const { env, store, ids, providers } = leanPorts();
  let delivered = 0;
  const push = driver(env, (orderId, sku, i) => {
    store.stock(sku, () => {
      store.claim(orderId, sku, (claim) => {
        if (claim.kind !== "claimed") return;
        const cardId = claim.card.cardId;
        providers.issue({ providerId: ids[i & 3]!, orderId, sku, cardId, attempt: 1 }, () => {
          store.deliver(orderId, cardId, (result) => {
            if (result.kind === "ok") delivered++;
          });
        });
      });
    });
  });
  return { env, push, delivered: () => delivered, stop: () => {} };
}

interface Sample {
  wall: number;
  cpu: number;
}

/** Pushes `orders` more orders through a running harness: orders per wall-clock and per CPU second. */
function sample(h: Harness, orders: number): Sample {
  const before = h.delivered();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  h.push(orders);
  h.env.runUntil(h.env.now());
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  const done = h.delivered() - before;
  if (done !== orders) throw new Error(`bench: ${done} of ${orders} orders delivered`);
  return { wall: orders / seconds, cpu: orders / ((cpu.user + cpu.system) / 1e6) };
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

export async function run(): Promise<void> {
  // One running core per configuration, warmed up, then `rounds` samples of each taken in turn (the
  // order alternating), with the fixed reference work between them. This machine's speed swings by
  // 2-4x within seconds (other tenants), so samples taken side by side share its state: the best
  // sample is what the code does here, the median what the machine let it do during this run, and
  // the reference's spread shows how much the machine moved.
  const orders = 100_000;
  const rounds = 12;
  const runs = {
    legacy: { h: harness(PRESETS.legacy), samples: [] as Sample[] },
    adaptive: { h: harness(PRESETS.adaptive), samples: [] as Sample[] },
  };
  const ports = { h: portsAlone(), samples: [] as Sample[] };
  for (const r of [...Object.values(runs), ports]) r.h.push(50_000); // warm-up (JIT)
  const reference: number[] = [];
  for (let k = 0; k < rounds; k++) {
    const order = k % 2 === 0 ? [runs.legacy, runs.adaptive] : [runs.adaptive, runs.legacy];
    for (const r of order) r.samples.push(sample(r.h, orders));
    ports.samples.push(sample(ports.h, orders));
    reference.push(referenceMs());
  }
  for (const r of Object.values(runs)) r.h.stop();

  console.log(
    `core throughput, ${rounds} samples of ${fmt(orders)} orders per configuration, zero-latency ports, ` +
      "virtual clock at 1,500 orders/s:",
  );
  const best: Record<string, number> = {};
  for (const [name, r] of Object.entries(runs)) {
    const walls = r.samples.map((x) => x.wall);
    const top = r.samples.reduce((a, b) => (b.wall > a.wall ? b : a));
    best[name] = top.wall;
    console.log(
      `  ${name.padEnd(9)} best ${fmt(top.wall).padStart(9)} orders/s wall (${(top.wall / 300_000).toFixed(2)} x the ` +
        `300,000 target), median ${fmt(median(walls))} (${(median(walls) / 300_000).toFixed(2)} x); ` +
        `${fmt(top.cpu)} orders per CPU second at best`,
    );
  }
  console.log(`  adaptive / legacy (best, wall) = ${(best.adaptive! / best.legacy!).toFixed(2)}`);
  // Per-order times at best: the harness's own (order generation and fake ports) and what is left.
  const portsBest = Math.max(...ports.samples.map((x) => x.wall));
  const us = (rate: number) => 1e6 / rate;
  console.log(
    `  of that, the harness alone (orders and fake ports, no core): ${fmt(portsBest)} orders/s best, ` +
      `${us(portsBest).toFixed(2)} us per order; the core's share at best: ` +
      `legacy ${(us(best.legacy!) - us(portsBest)).toFixed(2)} us, adaptive ${(us(best.adaptive!) - us(portsBest)).toFixed(2)} us per order`,
  );
  const fastest = Math.min(...reference);
  console.log(
    `  machine: the fixed reference work took ${fastest.toFixed(1)}-${Math.max(...reference).toFixed(1)} ms ` +
      `(median ${median(reference).toFixed(1)} ms; slowest / fastest = ${(Math.max(...reference) / fastest).toFixed(2)})`,
  );

  const total = Number(process.env.CORE_BENCH_TOTAL ?? 5_000_000);
  const step = 500_000;
  const h = harness(PRESETS.adaptive);
  const samples: { orders: number; heapMb: number }[] = [];
  h.push(step / 5); // warm-up before the first sample
  for (let done = 0; done < total; done += step) {
    h.push(step);
    gc();
    samples.push({ orders: done + step, heapMb: process.memoryUsage().heapUsed / 1048576 });
  }
  h.stop();
  console.log(`core memory over ${fmt(total)} orders (adaptive, heap used after GC):`);
  console.log(`  ${samples.map((s) => `${s.orders / 1e6}M: ${s.heapMb.toFixed(1)} MB`).join(", ")}`);
  const first = samples[0]!.heapMb;
  const last = samples.at(-1)!.heapMb;
  console.log(`  last / first = ${(last / first).toFixed(3)} (flat memory: close to 1)`);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
