import { describe, expect, it } from "vitest";
import { validateScenario } from "../../../scenarios/define.ts";
import type { IssueOutcome } from "../../../server/core/ports.ts";
import { VirtualEnvironment } from "../../../simulator/kernel/virtual-env.ts";
import { SimProviders } from "../../../simulator/models/providers.ts";

const scenario = validateScenario({
  name: "p",
  traffic: { executor: "constant-arrival-rate", rate: 1, duration: "1s" },
  providers: [{ id: "p", latency: { dist: "deterministic", value: 100 }, capacity: 2 }],
  faults: [
    { at: "1s", provider: "p", kind: "timeout", duration: "1s" },
    { at: "3s", provider: "p", kind: "latency", latencyMs: 400, duration: "1s" },
    { at: "5s", provider: "p", kind: "error", duration: "1s" },
  ],
  cluster: { primary: { workers: 1 }, backup: { workers: 1 } },
});

function call(env: VirtualEnvironment, providers: SimProviders, at: number, log: string[]) {
  env.schedule(at - env.now(), () => {
    const start = env.now();
    providers.issue(
      { providerId: "p", orderId: `o${at}`, sku: "s", cardId: "c", attempt: 1 },
      (o: IssueOutcome) => log.push(`${start}:${o.kind}@${env.now() - start}`),
    );
  });
}

describe("SimProviders", () => {
  it("queues beyond capacity and applies faults in their windows", () => {
    const env = new VirtualEnvironment(1);
    const providers = new SimProviders(env, scenario.providers, scenario.faults);
    const log: string[] = [];
    for (const at of [0, 0, 0]) call(env, providers, at, log);
    call(env, providers, 1500, log);
    call(env, providers, 3500, log);
    call(env, providers, 5500, log);
    env.runAll();
    // Capacity 2: the third call waits for a slot (100 ms) then takes 100 ms.
    expect(log).toEqual(["0:issued@100", "0:issued@100", "0:issued@200", "3500:issued@500", "5500:error@2"]);
    // The timed-out call never answered.
    expect(providers.stats("p")!.faulted).toBe(2);
  });
});
