// The two presets under the same outage, the before/after comparison the project is about: one of
// four providers stops answering for 10 s at 300 orders/s (about half of the 32 slots' capacity).
import { describe, expect, it } from "vitest";
import { PRESETS } from "../../../server/core/config.ts";
import { createDispatcher } from "../../../server/core/dispatcher.ts";
import { Xoshiro128 } from "../../../server/core/random.ts";
import { percentile } from "../../../server/core/stats/index.ts";
import { VirtualEnvironment } from "../../../simulator/kernel/virtual-env.ts";
import { FakeCardStore, FakeProviders } from "../../support/core-fakes.ts";

function outage(name: "legacy" | "adaptive") {
  const env = new VirtualEnvironment(1);
  const store = new FakeCardStore(env, { latencyMs: 2 });
  const ids = ["p1", "p2", "p3", "p4"];
  const providers = new FakeProviders(env, ids, { kind: "ok", latencyMs: 50 });
  const d = createDispatcher({ env, config: PRESETS[name], store, providers: { ids, port: providers } });
  const latencies: number[] = [];
  let other = 0;
  const rng = new Xoshiro128(3);
  const rate = 300;
  for (let i = 0; i < rate * 30; i++) {
    const t = (i / rate) * 1000;
    env.runUntil(t);
    providers.set("p1", t >= 5000 && t < 15000 ? { kind: "blackhole" } : { kind: "ok", latencyMs: 50 });
    const tier = rng.next() < 0.1 ? "vip" : "standard";
    d.submit({ orderId: `o${i}`, sku: `s${Math.floor(rng.next() * 10)}`, tier }, (v) => {
      if (v.state === "DELIVERED") latencies.push(v.timings.totalMs);
      else if (v.finishedAt !== null) other++;
    });
  }
  env.runFor(120_000);
  d.stop();
  return { p99: percentile(latencies, 0.99), delivered: latencies.length, other, snap: d.snapshot() };
}

describe("legacy vs adaptive under a provider outage", () => {
  it("legacy's queue explodes (slots held by 3 s timeouts) while adaptive isolates the provider", () => {
    const legacy = outage("legacy");
    const adaptive = outage("adaptive");
    expect(legacy.delivered).toBe(9000);
    expect(adaptive.delivered).toBe(9000);
    expect(legacy.p99).toBeGreaterThan(5000);
    expect(adaptive.p99).toBeLessThan(1000);
    expect(adaptive.snap.providers.find((p) => p.providerId === "p1")!.isolations).toBeGreaterThanOrEqual(1);
    expect(legacy.snap.counters.timeouts).toBeGreaterThan(adaptive.snap.counters.timeouts * 3);
  });
});
