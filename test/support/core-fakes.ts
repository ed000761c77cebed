// In-memory ports for the core's tests and bench: a card store that keeps the one-owner-ever
// guarantee and records every owner a card ever had (so a ghost card would show), and providers
// whose latency and behaviour (ok, error, never answer) can be changed while a test runs.
import type { Environment } from "../../server/core/env.ts";
import type {
  Card,
  CardStorePort,
  ClaimResult,
  IssueOutcome,
  IssueRequest,
  NotifyOutcome,
  NotifyPort,
  NotifyRequest,
  ProviderPort,
  RiskOutcome,
  RiskPort,
  RiskRequest,
  StoreResult,
} from "../../server/core/ports.ts";

interface CardRecord {
  card: Card;
  owner: string | null;
  delivered: boolean;
  /** Every order (not cache slot) that ever held the card. */
  orders: Set<string>;
  /** Owners the card was delivered to (more than one = a ghost card). */
  deliveredTo: Set<string>;
}

/** The history of every card in lean mode, which adds nothing to it. */
const NO_OWNERS: Set<string> = new Set();

export interface FakeStoreOptions {
  /** Delay of every operation in ms; undefined = answer synchronously (zero-latency bench). */
  latencyMs?: number;
  /** Cards per SKU created on first use (default effectively unlimited). */
  stockPerSku?: number;
}

/** One SKU's stock: released cards to hand out again, and how many cards were ever made. */
interface SkuStock {
  free: Card[];
  created: number;
}

export class FakeCardStore implements CardStorePort {
  /** Per SKU in one record, so a claim looks its SKU up once (the bench pays for every lookup). */
  private readonly skus = new Map<string, SkuStock>();
  private readonly cards = new Map<string, CardRecord>();
  private readonly byOwner = new Map<string, CardRecord>();
  calls = { claim: 0, transfer: 0, release: 0, deliver: 0, stock: 0 };
  /** When set, claim() answers with this error. */
  failClaims: string | null = null;
  /** Keep no per-card history (the memory bench: 5 million cards). */
  lean = false;
  /**
   * Lean mode forgets a delivered card's owner at the next delivery, not at once: a map emptied and
   * refilled on every order makes V8 shrink and regrow its table each time (a runtime call and a new
   * table per order), which would be the fake's cost, not the core's, in the bench.
   */
  private lastDelivered: string | null = null;

  constructor(
    private readonly env: Environment,
    private readonly options: FakeStoreOptions = {},
  ) {}

  private answer<T>(done: (result: T) => void, result: T): void {
    if (this.options.latencyMs === undefined) done(result);
    else this.env.schedule(this.options.latencyMs, () => done(result));
  }

  private stockOf(sku: string): SkuStock {
    let stock = this.skus.get(sku);
    if (stock === undefined) {
      stock = { free: [], created: 0 };
      this.skus.set(sku, stock);
    }
    return stock;
  }

  private remaining(sku: string): number {
    const limit = this.options.stockPerSku ?? Number.MAX_SAFE_INTEGER;
    const stock = this.skus.get(sku);
    return stock === undefined ? limit : limit - stock.created + stock.free.length;
  }

  private takeFree(sku: string): Card | undefined {
    const stock = this.stockOf(sku);
    if (stock.free.length > 0) return stock.free.pop();
    if (stock.created >= (this.options.stockPerSku ?? Number.MAX_SAFE_INTEGER)) return undefined;
    const n = ++stock.created;
    const cardId = `${sku}#${n}`;
    // Lean mode, like the simulator's store model, lets the id double as the code (one string less).
    return { cardId, code: this.lean ? cardId : `CODE-${sku}-${n}`, sku };
  }

  claim(ownerId: string, sku: string, done: (result: ClaimResult) => void): void {
    this.calls.claim++;
    if (this.failClaims !== null) {
      this.answer(done, { kind: "error", message: this.failClaims });
      return;
    }
    const held = this.byOwner.get(ownerId);
    if (held !== undefined) {
      this.answer(done, { kind: "claimed", card: held.card, delivered: held.delivered });
      return;
    }
    const card = this.takeFree(sku);
    if (card === undefined) {
      this.answer(done, { kind: "out_of_stock" });
      return;
    }
    // Lean mode records no history: it keeps no record of a card nobody holds, and the two sets stay
    // empty, so all records share one (the bench).
    let record = this.lean ? undefined : this.cards.get(card.cardId);
    if (record === undefined) {
      record = this.lean
        ? { card, owner: null, delivered: false, orders: NO_OWNERS, deliveredTo: NO_OWNERS }
        : { card, owner: null, delivered: false, orders: new Set(), deliveredTo: new Set() };
      if (!this.lean) this.cards.set(card.cardId, record);
    }
    record.owner = ownerId;
    if (!ownerId.startsWith("cache:") && !this.lean) record.orders.add(ownerId);
    this.byOwner.set(ownerId, record);
    this.answer(done, { kind: "claimed", card, delivered: false });
  }

  transfer(cardId: string, fromOwner: string, toOwner: string, done: (result: StoreResult) => void): void {
    this.calls.transfer++;
    const record = this.byOwner.get(fromOwner);
    if (record === undefined || record.card.cardId !== cardId) {
      this.answer(done, { kind: "error", message: `${fromOwner} does not hold ${cardId}` });
      return;
    }
    this.byOwner.delete(fromOwner);
    record.owner = toOwner;
    if (!this.lean) record.orders.add(toOwner);
    this.byOwner.set(toOwner, record);
    this.answer(done, { kind: "ok" });
  }

  release(ownerId: string, cardId: string, done: (result: StoreResult) => void): void {
    this.calls.release++;
    const record = this.byOwner.get(ownerId);
    if (record === undefined || record.card.cardId !== cardId || record.delivered) {
      this.answer(done, { kind: "error", message: `${ownerId} does not hold ${cardId}` });
      return;
    }
    this.byOwner.delete(ownerId);
    record.owner = null;
    this.stockOf(record.card.sku).free.push(record.card);
    this.answer(done, { kind: "ok" });
  }

  deliver(ownerId: string, cardId: string, done: (result: StoreResult) => void): void {
    this.calls.deliver++;
    const record = this.byOwner.get(ownerId);
    if (record === undefined || record.card.cardId !== cardId) {
      this.answer(done, { kind: "error", message: `${ownerId} does not hold ${cardId}` });
      return;
    }
    record.delivered = true;
    if (!this.lean) record.deliveredTo.add(ownerId);
    // A delivered card stays with its owner for good; lean mode forgets it one delivery later, so
    // memory stays flat.
    if (this.lean) {
      if (this.lastDelivered !== null) this.byOwner.delete(this.lastDelivered);
      this.lastDelivered = ownerId;
    }
    this.answer(done, { kind: "ok" });
  }

  stock(
    sku: string,
    done: (result: { kind: "ok"; free: number } | { kind: "error"; message: string }) => void,
  ): void {
    this.calls.stock++;
    this.answer(done, { kind: "ok", free: this.remaining(sku) });
  }

  /** Cards delivered to more than one order (ghost cards); must be 0. */
  ghostCards(): number {
    let n = 0;
    for (const record of this.cards.values()) if (record.deliveredTo.size > 1) n++;
    return n;
  }

  /** Orders that hold (or held and were delivered) each card: cardId -> order ids. */
  ownersOf(cardId: string): string[] {
    return [...(this.cards.get(cardId)?.orders ?? [])];
  }

  holder(ownerId: string): Card | undefined {
    return this.byOwner.get(ownerId)?.card;
  }

  freeCount(sku: string): number {
    return this.skus.get(sku)?.free.length ?? 0;
  }
}

export type ProviderBehaviour =
  | { kind: "ok"; latencyMs: number }
  | { kind: "error"; latencyMs: number; reason?: string }
  /** Never answers: the core's timeout fires. */
  | { kind: "blackhole" };

const LEAN_ISSUED: IssueOutcome = { kind: "issued", receipt: "lean" };

export class FakeProviders implements ProviderPort {
  readonly behaviour = new Map<string, ProviderBehaviour>();
  readonly calls: IssueRequest[] = [];
  /** Keep no call log (bench). */
  lean = false;
  callCount = new Map<string, number>();

  constructor(
    private readonly env: Environment,
    readonly ids: string[],
    initial: ProviderBehaviour | undefined = { kind: "ok", latencyMs: 10 },
  ) {
    for (const id of ids) this.behaviour.set(id, initial ?? { kind: "ok", latencyMs: 10 });
  }

  set(id: string, behaviour: ProviderBehaviour): void {
    this.behaviour.set(id, behaviour);
  }

  issue(request: IssueRequest, done: (outcome: IssueOutcome) => void): void {
    if (!this.lean) {
      this.calls.push(request);
      this.callCount.set(request.providerId, (this.callCount.get(request.providerId) ?? 0) + 1);
    }
    const b = this.behaviour.get(request.providerId) ?? {
      kind: "error",
      latencyMs: 0,
      reason: "unknown provider",
    };
    if (b.kind === "blackhole") return;
    // Lean mode answers with one receipt for all, as the simulator's provider model does.
    const outcome: IssueOutcome =
      b.kind === "ok"
        ? this.lean
          ? LEAN_ISSUED
          : { kind: "issued", receipt: `r-${request.orderId}` }
        : { kind: "error", reason: b.reason ?? "provider error" };
    if (b.latencyMs <= 0 && this.syncZero) done(outcome);
    else this.env.schedule(b.latencyMs, () => done(outcome));
  }

  /** Answer zero-latency calls synchronously (bench). */
  syncZero = false;

  callsTo(id: string): number {
    return this.callCount.get(id) ?? 0;
  }
}

/** What the fake risk service answers (blackhole: never), after latencyMs. */
export type RiskBehaviour = { kind: "allow" | "deny" | "review" | "error" | "blackhole"; latencyMs: number };

/** A risk service whose verdict can be changed while a test runs; it logs every request. */
export class FakeRisk implements RiskPort {
  readonly calls: RiskRequest[] = [];

  constructor(
    private readonly env: Environment,
    public behaviour: RiskBehaviour = { kind: "allow", latencyMs: 5 },
  ) {}

  check(request: RiskRequest, done: (outcome: RiskOutcome) => void): void {
    this.calls.push(request);
    const b = this.behaviour;
    if (b.kind === "blackhole") return;
    const outcome: RiskOutcome =
      b.kind === "allow" ? { kind: "allow" } : { kind: b.kind, reason: `fake ${b.kind}` };
    this.env.schedule(b.latencyMs, () => done(outcome));
  }
}

/** A notification service: sends after latencyMs, or fails, or never answers; logs every request. */
export class FakeNotify implements NotifyPort {
  readonly calls: NotifyRequest[] = [];

  constructor(
    private readonly env: Environment,
    public behaviour: { kind: "sent" | "error" | "blackhole"; latencyMs: number } = {
      kind: "sent",
      latencyMs: 5,
    },
  ) {}

  send(request: NotifyRequest, done: (outcome: NotifyOutcome) => void): void {
    this.calls.push(request);
    const b = this.behaviour;
    if (b.kind === "blackhole") return;
    const outcome: NotifyOutcome =
      b.kind === "sent" ? { kind: "sent" } : { kind: "error", reason: "fake error" };
    this.env.schedule(b.latencyMs, () => done(outcome));
  }
}
