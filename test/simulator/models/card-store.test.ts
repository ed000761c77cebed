import { describe, expect, it } from "vitest";
import type { ClaimResult, StoreResult } from "../../../server/core/ports.ts";
import { VirtualEnvironment } from "../../../simulator/kernel/virtual-env.ts";
import { SimCardStore } from "../../../simulator/models/card-store.ts";

function sync(store: SimCardStore) {
  const claim = (owner: string, sku: string) => {
    let r: ClaimResult | undefined;
    store.claim(owner, sku, (x) => {
      r = x;
    });
    return r!;
  };
  const op = (f: (done: (r: StoreResult) => void) => void) => {
    let r: StoreResult | undefined;
    f((x) => {
      r = x;
    });
    return r!;
  };
  return { claim, op };
}

describe("SimCardStore", () => {
  it("never hands one card to two owners; a released card is reused, a delivered one never", () => {
    const store = new SimCardStore(new VirtualEnvironment(1), { latencyMs: null, stockPerSku: 2 });
    const { claim, op } = sync(store);
    const a = claim("o1", "s");
    const b = claim("o2", "s");
    expect(a.kind === "claimed" && b.kind === "claimed" && a.card.cardId !== b.card.cardId).toBe(true);
    expect(claim("o3", "s").kind).toBe("out_of_stock");
    // The same owner asking again gets the same card (a retried order never gets a second one).
    const again = claim("o1", "s");
    expect(again.kind === "claimed" && a.kind === "claimed" && again.card.cardId === a.card.cardId).toBe(
      true,
    );
    if (a.kind !== "claimed" || b.kind !== "claimed") return;
    expect(op((d) => store.release("o2", b.card.cardId, d)).kind).toBe("ok");
    const c = claim("o3", "s");
    expect(c.kind === "claimed" && c.card.cardId === b.card.cardId).toBe(true);
    expect(op((d) => store.deliver("o1", a.card.cardId, d)).kind).toBe("ok");
    expect(op((d) => store.deliver("o9", a.card.cardId, d)).kind).toBe("error");
    expect(store.duplicates).toBe(1);
    expect(claim("o4", "s").kind).toBe("out_of_stock");
  });

  it("answers through the virtual clock when given a latency", () => {
    const env = new VirtualEnvironment(1);
    const store = new SimCardStore(env, { latencyMs: 3 });
    let at = -1;
    store.claim("o1", "s", () => {
      at = env.now();
    });
    expect(at).toBe(-1);
    env.runAll();
    expect(at).toBe(3);
  });

  it("serialises operations on one SKU under the row-lock model, not across SKUs", () => {
    const env = new VirtualEnvironment(1);
    const store = new SimCardStore(env, {
      latencyMs: 0,
      rowLock: { claimMs: 2, stockMs: 1, deliverMs: 1, releaseMs: 1 },
    });
    const done: string[] = [];
    store.claim("o1", "hot", () => done.push(`o1@${env.now()}`));
    store.claim("o2", "hot", () => done.push(`o2@${env.now()}`));
    store.stock("hot", () => done.push(`stock@${env.now()}`));
    store.claim("o3", "cold", () => done.push(`o3@${env.now()}`));
    env.runAll();
    expect(done).toEqual(["o1@2", "o3@2", "o2@4", "stock@5"]);
  });

  it("without the per-SKU lock, the times are round trips that overlap (a calibrated store)", () => {
    const env = new VirtualEnvironment(1);
    const store = new SimCardStore(env, {
      latencyMs: 0,
      rowLock: { claimMs: 2, stockMs: 1, deliverMs: 1, releaseMs: 1, perSkuLock: false },
    });
    const done: string[] = [];
    store.claim("o1", "hot", () => done.push(`o1@${env.now()}`));
    store.claim("o2", "hot", () => done.push(`o2@${env.now()}`));
    store.stock("hot", () => done.push(`stock@${env.now()}`));
    env.runAll();
    expect(done).toEqual(["stock@1", "o1@2", "o2@2"]);
  });
});
