// A scenario's risk and notification services reach the provider farm a live run starts: the spec
// file the local stack and topologies write holds them, and `rushhour providers` serves them, so
// `rushhour serve --providers <farm>` finds them (server/providers/remote.ts).
import { rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { prepareStackFiles } from "../../load/local-stack.ts";
import { farmProviders, farmServices } from "../../load/provider-models.ts";
import { validateScenario } from "../../scenarios/define.ts";
import providerOutage from "../../scenarios/provider-outage.ts";
import { RemoteProviders } from "../../server/providers/remote.ts";
import { readProviderSpec } from "../../server/providers/spec-file.ts";
import { type Spawned, spawnProviders } from "../support/spawn.ts";

const scenario = validateScenario({
  ...providerOutage,
  risk: {
    latency: { p50: "15ms", p99: "120ms" },
    capacity: 50,
    errorRate: 0.01,
    denyRate: 0.02,
    reviewRate: 0.01,
  },
  notification: { latency: { dist: "deterministic", value: "2s" }, capacity: 20 },
});

const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

describe("the farm a live run starts", () => {
  it("has no services when the scenario has none", () => {
    expect(farmServices(validateScenario(providerOutage))).toEqual({});
  });

  it("serves the scenario's risk and notification models", async () => {
    const services = farmServices(scenario);
    expect(services).toEqual({
      risk: {
        id: "risk",
        p50Ms: 15,
        p99Ms: 120,
        capacity: 50,
        errorRate: 0.01,
        denyRate: 0.02,
        reviewRate: 0.01,
      },
      notification: { id: "notify", p50Ms: 2000, p99Ms: 2000, capacity: 20, errorRate: 0 },
    });
    const files = prepareStackFiles(
      "rushhour-models-",
      farmProviders(scenario.providers),
      "adaptive",
      services,
    );
    cleanup.push(() => rmSync(files.dir, { recursive: true, force: true }));
    const spec = readProviderSpec(files.specFile);
    expect(spec.risk).toEqual(services.risk);
    expect(spec.notification).toEqual(services.notification);
    const farm: Spawned = await spawnProviders(["--spec", files.specFile]);
    cleanup.push(() => farm.stop());
    expect(farm.stdout.join("\n")).toMatch(/listening on \S+ \(p1,p2,p3,risk,notify\)/);
    const remote = await RemoteProviders.connect([farm.address]);
    cleanup.push(() => remote.close());
    expect(remote.risk?.info).toMatchObject({ serviceId: "risk", capacity: 50, denyRate: 0.02 });
    expect(remote.notification?.info).toMatchObject({ serviceId: "notify", p50Ms: 2000 });
  });
});
