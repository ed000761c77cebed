// The dispatch core against another revision of itself, side by side in one process: the same lean
// harness as bench/core.ts, built once from this tree and once from a checkout of the other revision,
// pushed in alternating chunks of orders so that both see the same moments of this shared machine.
//   git worktree add /tmp/base <rev> && cp -al node_modules /tmp/base/ && cp -a proto/gen /tmp/base/proto/
//   CORE_AB_BASE=/tmp/base npm run bench -- core-ab
// Without CORE_AB_BASE it says so and does nothing (npm run bench runs every bench).
// Which harness is built first biases the pair by a few percent (the same code against a copy of itself
// gave paired medians of 0.96-1.01), so each preset runs twice with the order of building swapped, and the
// verdict is the geometric mean of the two paired medians: the ratio of this tree's speed to the base's.
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { DispatchConfig } from "../server/core/config.ts";
import type { OrderView } from "../server/core/types.ts";

/** The modules the harness needs, as each revision exports them. */
interface Tree {
  presets: Record<string, DispatchConfig>;
  createDispatcher: typeof import("../server/core/dispatcher.ts").createDispatcher;
  Xoshiro128: typeof import("../server/core/random.ts").Xoshiro128;
  VirtualEnvironment: typeof import("../simulator/kernel/virtual-env.ts").VirtualEnvironment;
  FakeCardStore: typeof import("../test/support/core-fakes.ts").FakeCardStore;
  FakeProviders: typeof import("../test/support/core-fakes.ts").FakeProviders;
}

async function loadTree(root: string): Promise<Tree> {
  const at = (p: string) => pathToFileURL(resolve(root, p)).href;
  // The other revision's modules are typed as this tree's: the harness uses only what both export.
  const config = (await import(at("server/core/config.ts"))) as typeof import("../server/core/config.ts");
  const dispatcher = (await import(
    at("server/core/dispatcher.ts")
  )) as typeof import("../server/core/dispatcher.ts");
  const random = (await import(at("server/core/random.ts"))) as typeof import("../server/core/random.ts");
  const env = (await import(
    at("simulator/kernel/virtual-env.ts")
  )) as typeof import("../simulator/kernel/virtual-env.ts");
  const fakes = (await import(
    at("test/support/core-fakes.ts")
  )) as typeof import("../test/support/core-fakes.ts");
  return {
    presets: config.PRESETS as Record<string, DispatchConfig>,
    createDispatcher: dispatcher.createDispatcher,
    Xoshiro128: random.Xoshiro128,
    VirtualEnvironment: env.VirtualEnvironment,
    FakeCardStore: fakes.FakeCardStore,
    FakeProviders: fakes.FakeProviders,
  };
}

/** Pushes n more orders through a warmed-up core of `tree` (as bench/core.ts does); returns ms taken. */
function harness(tree: Tree, preset: string, tag: string): (n: number) => number {
  const rng = new tree.Xoshiro128(1);
  const skus = Array.from({ length: 4096 }, () => `sku-${Math.floor(100 * rng.next() ** 3)}`);
  const env = new tree.VirtualEnvironment(1);
  const store = new tree.FakeCardStore(env);
  store.lean = true;
  const ids = ["p1", "p2", "p3", "p4"];
  const providers = new tree.FakeProviders(env, ids, { kind: "ok", latencyMs: 0 });
  providers.lean = true;
  providers.syncZero = true;
  const config = tree.presets[preset];
  if (config === undefined) throw new Error(`no preset ${preset}`);
  const dispatcher = tree.createDispatcher({
    env,
    config,
    store,
    providers: { ids, port: providers },
    liveViews: true,
  });
  const onChange = (_v: OrderView) => {};
  let next = 0;
  const push = (n: number) => {
    const start = process.hrtime.bigint();
    const end = next + n;
    for (; next < end; next++) {
      if ((next & 15) === 0) env.runUntil(next / 1.5);
      const tier = (next & 15) === 0 ? "vip" : "standard";
      dispatcher.submit({ orderId: `${tag}${next}`, sku: skus[next & 4095]!, tier }, onChange);
    }
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  push(100_000);
  return push;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Paired chunks: this tree's speed over the base's, median of the per-round ratios, and each side's best. */
function pairs(base: Tree, current: Tree, preset: string, baseFirst: boolean, rounds: number, chunk: number) {
  let b: (n: number) => number;
  let c: (n: number) => number;
  if (baseFirst) {
    b = harness(base, preset, "b");
    c = harness(current, preset, "c");
  } else {
    c = harness(current, preset, "c");
    b = harness(base, preset, "b");
  }
  const ratios: number[] = [];
  let bestBase = Infinity;
  let bestCurrent = Infinity;
  for (let i = 0; i < rounds; i++) {
    let tb: number;
    let tc: number;
    if (i % 2 === 0) {
      tb = b(chunk);
      tc = c(chunk);
    } else {
      tc = c(chunk);
      tb = b(chunk);
    }
    bestBase = Math.min(bestBase, tb);
    bestCurrent = Math.min(bestCurrent, tc);
    ratios.push(tb / tc);
  }
  return {
    median: median(ratios),
    bestBase: (chunk / bestBase) * 1000,
    bestCurrent: (chunk / bestCurrent) * 1000,
  };
}

export async function run(): Promise<void> {
  const baseRoot = process.env.CORE_AB_BASE;
  if (baseRoot === undefined) {
    console.log(
      "skipped: set CORE_AB_BASE=DIR, a checkout of the revision to compare with (see bench/core-ab.ts)",
    );
    return;
  }
  const rounds = Number(process.env.CORE_AB_ROUNDS ?? 80);
  const chunk = 40_000;
  const base = await loadTree(baseRoot);
  const current = await loadTree(resolve(import.meta.dirname, ".."));
  console.log(`base: ${baseRoot}; ${rounds} rounds of ${chunk} orders per side and building order`);
  for (const preset of ["legacy", "adaptive"]) {
    const first = pairs(base, current, preset, true, rounds, chunk);
    const second = pairs(base, current, preset, false, rounds, chunk);
    const ratio = Math.sqrt(first.median * second.median);
    const k = (x: number) => `${Math.round(x / 1000)}k`;
    console.log(
      `${preset.padEnd(8)} this tree / base: ${ratio.toFixed(3)} (paired medians ${first.median.toFixed(3)} base built first, ` +
        `${second.median.toFixed(3)} this tree first); best orders/s base ${k(Math.max(first.bestBase, second.bestBase))}, ` +
        `this tree ${k(Math.max(first.bestCurrent, second.bestCurrent))}`,
    );
  }
}
