// The order book against a real SQLite ledger whose writes can be refused on demand, and a scripted
// core (the test says which state comes next): what clients may see of an order is never ahead of the
// ledger. The full-disk test (disk-full.test.ts) covers the same rule end to end over gRPC.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { OrderInput, OrderState, OrderView } from "../../server/core/types.ts";
import type { DispatcherLike } from "../../server/dispatcher-contract.ts";
import { OrderBook, type OrderBookOptions } from "../../server/orders.ts";
import { openStore } from "../../server/store/open.ts";
import type { Store } from "../../server/store/types.ts";

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A SQLite ledger whose updateOrder fails while `refusing` is set (as a full disk makes it). */
async function ledger(path?: string) {
  const file = path ?? join(mkdtempSync(join(tmpdir(), "rushhour-orders-")), "ledger.db");
  if (path === undefined) dirs.push(join(file, ".."));
  const store = await openStore(`sqlite:${file}`);
  stores.push(store);
  const control = { refusing: false, file };
  const updateOrder = store.updateOrder.bind(store);
  store.updateOrder = (orderId, patch) =>
    control.refusing ? Promise.reject(new Error("database or disk is full")) : updateOrder(orderId, patch);
  return { store, control };
}

/** The core's part, scripted: `emit` moves an order to the next state. */
class ScriptedCore {
  readonly listeners = new Map<string, (view: OrderView) => void>();
  readonly recovered: OrderInput[] = [];
  private readonly views = new Map<string, OrderView>();

  start(order: OrderInput, onChange?: (view: OrderView) => void): OrderView {
    if (onChange) this.listeners.set(order.orderId, onChange);
    const view: OrderView = {
      orderId: order.orderId,
      sku: order.sku,
      tier: order.tier,
      state: "QUEUED",
      lane: "default",
      cluster: "primary",
      providerId: null,
      attempts: order.attempts ?? 0,
      cardId: order.cardId ?? null,
      cardCode: null,
      submittedAt: 0,
      finishedAt: null,
      timings: { queuedMs: 0, allocatingMs: 0, issuingMs: 0, retryingMs: 0, totalMs: 0 },
      rejectReason: null,
      failureReason: null,
      fromCache: false,
      canary: false,
    };
    this.views.set(order.orderId, view);
    return view;
  }

  emit(orderId: string, state: OrderState, more: Partial<OrderView> = {}): void {
    const view = { ...this.views.get(orderId)!, state, ...more };
    this.views.set(orderId, view);
    this.listeners.get(orderId)?.(view);
  }

  asDispatcher(): DispatcherLike {
    const unused = () => {
      throw new Error("not used by the order book");
    };
    return {
      submit: (order, onChange) => this.start(order, onChange),
      recover: (order, onChange) => {
        this.recovered.push(order);
        return this.start(order, onChange);
      },
      get: (orderId) => this.views.get(orderId),
      snapshot: unused,
      onEvent: unused,
      getConfig: unused,
      applyConfig: unused,
      startCanary: unused,
      canaryVerdict: unused,
      stopCanary: unused,
      loadDemandHistory: unused,
      stop: () => {},
    };
  }
}

function book(store: Store, core: ScriptedCore, options: Partial<OrderBookOptions> = {}) {
  const errors: Error[] = [];
  let failed: () => void = () => {};
  const b = new OrderBook({
    dispatcher: core.asDispatcher(),
    store,
    toUnix: (t) => t,
    onError: (err) => {
      errors.push(err as Error);
      failed();
    },
    ...options,
  });
  /** Resolves at the next ledger write failure the book reports. */
  const nextFailure = () =>
    new Promise<void>((resolve) => {
      failed = resolve;
    });
  return { book: b, errors, nextFailure };
}

const DELIVERED = { cardId: "1", cardCode: "GC-TEST-0001", providerId: "p1", attempts: 1, finishedAt: 5 };

describe("the order book shows no more than the ledger holds", () => {
  it("shows a terminal state and its card only once the ledger holds it, retrying the write", async () => {
    const { store, control } = await ledger();
    const core = new ScriptedCore();
    const { book: b, nextFailure } = book(store, core);
    const sent = await b.submit({ idempotencyKey: "k1", sku: "sku-1", tier: "standard" }, Date.now());
    if (sent.kind !== "live") throw new Error(`expected a live order, got ${sent.kind}`);
    const live = sent.order;
    let told: OrderView | null = null;
    live.done.then((v) => {
      told = v;
    });
    const seen: string[] = [];
    live.listeners.add((v) => seen.push(v.state));

    core.emit(live.orderId, "ISSUING", { cardId: "1", providerId: "p1", attempts: 1 });
    control.refusing = true;
    const failure = nextFailure();
    core.emit(live.orderId, "DELIVERED", DELIVERED);
    await failure;
    // The ledger refused DELIVERED: clients still see ISSUING, without a card code.
    expect(live.view?.state).toBe("ISSUING");
    expect(seen).toEqual(["ISSUING"]);
    expect(told).toBeNull();
    expect((await store.getOrder(live.orderId))?.state).toBe("ACCEPTED");
    expect(b.getLive(live.orderId)).toBe(live);

    control.refusing = false;
    const final = await live.done;
    expect(final.state).toBe("DELIVERED");
    expect(seen).toEqual(["ISSUING", "DELIVERED"]);
    const stored = await store.getOrder(live.orderId);
    expect(stored?.state).toBe("DELIVERED");
    expect(stored?.cardCode).toBe("GC-TEST-0001");
    expect(b.getLive(live.orderId)).toBeUndefined();
  });

  it("tells waiting clients the ledger failed, and a later success clears it", async () => {
    const { store, control } = await ledger();
    const core = new ScriptedCore();
    const { book: b } = book(store, core);
    const sent = await b.submit({ idempotencyKey: "k2", sku: "sku-1", tier: "standard" }, Date.now());
    if (sent.kind !== "live") throw new Error("expected a live order");
    const live = sent.order;
    control.refusing = true;
    const told = new Promise<Error>((resolve) => live.failureListeners.add(resolve));
    core.emit(live.orderId, "FAILED", { failureReason: "provider_error", attempts: 3, finishedAt: 5 });
    expect((await told).message).toMatch(/disk is full/);
    expect(live.failing).not.toBeNull();
    expect(live.view?.state).toBe("QUEUED");
    control.refusing = false;
    expect((await live.done).state).toBe("FAILED");
    expect(live.failing).toBeNull();
    expect((await store.getOrder(live.orderId))?.state).toBe("FAILED");
  });

  it("gives up after ledgerRetryMs: the ledger keeps the unfinished order and recovery takes it back", async () => {
    const { store, control } = await ledger();
    const core = new ScriptedCore();
    const { book: b, errors, nextFailure } = book(store, core, { ledgerRetryMs: 0 });
    const sent = await b.submit({ idempotencyKey: "k3", sku: "sku-1", tier: "standard" }, Date.now());
    if (sent.kind !== "live") throw new Error("expected a live order");
    const orderId = sent.order.orderId;
    control.refusing = true;
    const failure = nextFailure();
    core.emit(orderId, "DELIVERED", DELIVERED);
    await failure;
    await sent.order.persisted;
    expect(b.getLive(orderId)).toBeUndefined();
    expect(b.inFlight).toBe(0);
    expect(errors.at(-1)?.message).toMatch(/DELIVERED state is not in the ledger/);
    expect((await store.getOrder(orderId))?.state).toBe("ACCEPTED");

    // A restart: a new book on the same ledger recovers the order into the core.
    control.refusing = false;
    const next = new ScriptedCore();
    const { book: again } = book(store, next);
    expect(await again.recover()).toBe(1);
    expect(next.recovered.map((o) => o.orderId)).toEqual([orderId]);
  });

  it("drain stops retrying a failing write and leaves the order unfinished in the ledger", async () => {
    const { store, control } = await ledger();
    const core = new ScriptedCore();
    const { book: b, nextFailure } = book(store, core);
    const sent = await b.submit({ idempotencyKey: "k4", sku: "sku-1", tier: "standard" }, Date.now());
    if (sent.kind !== "live") throw new Error("expected a live order");
    control.refusing = true;
    const failure = nextFailure();
    core.emit(sent.order.orderId, "FAILED", { failureReason: "provider_error", finishedAt: 5 });
    await failure;
    expect(await b.drain(0)).toEqual({ unfinished: 0 });
    expect((await store.getOrder(sent.order.orderId))?.state).toBe("ACCEPTED");
  });
});
