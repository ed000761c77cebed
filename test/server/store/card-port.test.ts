import { describe, expect, it } from "vitest";
import type { ClaimResult } from "../../../server/core/ports.ts";
import { toCardStorePort } from "../../../server/store/card-port.ts";
import { MemoryStore } from "../../../server/store/memory.ts";
import type { Store } from "../../../server/store/types.ts";

describe("toCardStorePort", () => {
  it("passes store results through the callbacks, once each", async () => {
    const store = new MemoryStore();
    await store.importCards("sku-a", ["A1"]);
    const port = toCardStorePort(store);
    const calls: ClaimResult[] = [];
    await new Promise<void>((resolve) =>
      port.claim("o1", "sku-a", (r) => {
        calls.push(r);
        resolve();
      }),
    );
    expect(calls).toEqual([
      { kind: "claimed", card: { cardId: "1", code: "A1", sku: "sku-a" }, delivered: false },
    ]);
    const stock = await new Promise((resolve) => port.stock("sku-a", resolve));
    expect(stock).toEqual({ kind: "ok", free: 0 });
  });

  it("turns a store that throws or rejects into error results", async () => {
    const broken = new Proxy(new MemoryStore(), {
      get(target, prop) {
        if (prop === "claim") {
          return () => {
            throw new Error("connection reset");
          };
        }
        if (prop === "stock") return () => Promise.reject("disk on fire");
        return Reflect.get(target, prop);
      },
    }) as Store;
    const port = toCardStorePort(broken);
    expect(await new Promise((resolve) => port.claim("o1", "sku-a", resolve))).toEqual({
      kind: "error",
      message: "connection reset",
    });
    expect(await new Promise((resolve) => port.stock("sku-a", resolve))).toEqual({
      kind: "error",
      message: "disk on fire",
    });
  });

  it("reports a callback that throws as the caller's bug, not as a store error", async () => {
    const store = new MemoryStore();
    await store.importCards("sku-a", ["A1"]);
    const reported: unknown[] = [];
    const port = toCardStorePort(store, { onCallbackError: (e) => reported.push(e) });
    let calls = 0;
    port.claim("o1", "sku-a", () => {
      calls++;
      throw new Error("bug in the core");
    });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(calls).toBe(1);
    expect(reported).toHaveLength(1);
    expect((reported[0] as Error).message).toBe("bug in the core");
  });
});
