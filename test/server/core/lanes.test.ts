import { describe, expect, it } from "vitest";
import { PRESETS } from "../../../server/core/config.ts";
import { Lanes } from "../../../server/core/lanes.ts";

const lanesConfig = (vip: number, def: number, reserve = 0, vipWeight = 4) => ({
  vip: { enabled: true, workers: vip, queueCapacity: 1000, lendIdle: true, reserve },
  default: { workers: def, queueCapacity: 1000 },
  vipWeight,
});

describe("lanes and weighted dequeue", () => {
  it("serves a VIP order ahead of every waiting standard order", () => {
    const lanes = new Lanes<string>(lanesConfig(1, 2));
    for (let i = 0; i < 100; i++) lanes.enqueue("default", `s${i}`);
    // Fill every slot.
    const started = [lanes.next(), lanes.next(), lanes.next()].map((x) => x?.item);
    expect(started).toEqual(["s0", "s1", "s2"]);
    expect(lanes.next()).toBeUndefined();
    lanes.enqueue("vip", "v0");
    lanes.releaseSlot("default");
    expect(lanes.next()).toEqual({ item: "v0", slot: "default" });
  });

  it("never starves standard orders: default slots give them 1 in vipWeight + 1 while both wait", () => {
    const lanes = new Lanes<string>(lanesConfig(1, 1, 0, 4));
    for (let i = 0; i < 50; i++) lanes.enqueue("vip", `v${i}`);
    for (let i = 0; i < 50; i++) lanes.enqueue("default", `s${i}`);
    lanes.next(); // the VIP slot takes v0 and stays busy
    const served: string[] = [];
    for (let i = 0; i < 20; i++) {
      const next = lanes.next()!;
      expect(next.slot).toBe("default");
      served.push(next.item[0]!);
      lanes.releaseSlot("default");
    }
    expect(served.join("")).toBe("vvvvsvvvvsvvvvsvvvvs");
  });

  it("lends idle VIP slots to the default lane but keeps the reserve free", () => {
    const lanes = new Lanes<string>(lanesConfig(3, 1, 2));
    for (let i = 0; i < 10; i++) lanes.enqueue("default", `s${i}`);
    const slots = [lanes.next(), lanes.next(), lanes.next()].map((x) => x?.slot);
    expect(slots).toEqual(["vip", "default", undefined]);
    expect(lanes.vipBusy).toBe(1);
  });

  it("has one FIFO lane in the legacy preset: VIP orders queue with everyone", () => {
    const lanes = new Lanes<string>(PRESETS.legacy.lanes);
    expect(lanes.laneFor("vip")).toBe("default");
    expect(lanes.totalWorkers).toBe(32);
  });
});
