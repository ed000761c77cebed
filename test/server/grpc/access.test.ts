// Who may read an order (issue 17, item 1): order ids cannot be guessed from a known one, and with
// client tokens (serve --client-tokens) an order by id answers only the client that placed it, or
// whoever presents its idempotency key, also after a restart (the client is in the ledger).
// Real `rushhour serve` processes over loopback gRPC, a real SQLite file.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { afterAll, describe, expect, it } from "vitest";
import { CustomerTier, OrderState } from "../../../proto/gen/rushhour/v1/common.ts";
import {
  type DispatchServiceClient,
  type Order,
  WaitMode,
  type WatchOrderResponse,
} from "../../../proto/gen/rushhour/v1/dispatch.ts";
import { type SpawnedServer, spawnServe } from "../../support/spawn.ts";
import { bearer, call, clients, failure } from "./clients.ts";

const dir = mkdtempSync(join(tmpdir(), "rushhour-access-"));
const running: SpawnedServer[] = [];
afterAll(async () => {
  await Promise.all(running.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
});

async function serve(args: string[]): Promise<SpawnedServer> {
  const s = await spawnServe(["--skus", "sku-a", "--seed-stock", "300", ...args]);
  running.push(s);
  return s;
}

let keys = 0;
const nextKey = () => `access-${process.pid}-${++keys}`;

function submit(
  d: DispatchServiceClient,
  metadata?: Metadata,
  waitMode = WaitMode.WAIT_MODE_DELIVERED,
  idempotencyKey = nextKey(),
): Promise<Order> {
  return call(
    d.submitOrder,
    d,
    { idempotencyKey, sku: "sku-a", tier: CustomerTier.CUSTOMER_TIER_STANDARD, waitMode },
    { metadata },
  ).then((r) => r.order as Order);
}

function getById(d: DispatchServiceClient, orderId: string, metadata?: Metadata): Promise<Order> {
  return call(d.getOrder, d, { orderId }, { metadata }).then((r) => r.order as Order);
}

/** Every message of a WatchOrder stream, or its error. */
function watch(
  d: DispatchServiceClient,
  orderId: string,
  metadata?: Metadata,
): Promise<{ seen: WatchOrderResponse[]; error: ServiceError | null }> {
  return new Promise((resolve) => {
    const seen: WatchOrderResponse[] = [];
    const stream = metadata ? d.watchOrder({ orderId }, metadata) : d.watchOrder({ orderId });
    stream.on("data", (m: WatchOrderResponse) => seen.push(m));
    stream.on("end", () => resolve({ seen, error: null }));
    stream.on("error", (error: ServiceError) => resolve({ seen, error }));
  });
}

/** Big-integer value of `digits` in `radix` (ids may carry more digits than a double holds). */
function parse(digits: string, radix: number): bigint {
  let n = 0n;
  for (const ch of digits.toLowerCase()) n = n * BigInt(radix) + BigInt(Number.parseInt(ch, radix));
  return n;
}

/**
 * What an attacker who saw one order id would try: the ids around it read as a counter in base 36 and
 * in hex (its trailing run of letters and digits), counters 1..500 after its last "-" (issue 17's
 * attack), the id with its last character changed, and ids of the same shape made up at random.
 */
function guessesAround(known: string): string[] {
  const out = new Set<string>();
  const tail = /[0-9a-z]+$/i.exec(known)?.[0] ?? "";
  const head = known.slice(0, known.length - tail.length);
  for (const radix of [36, 16]) {
    if (tail === "" || !new RegExp(`^[0-9a-${radix === 16 ? "f" : "z"}]+$`, "i").test(tail)) continue;
    const n = parse(tail, radix);
    for (let d = -40n; d <= 40n; d++) {
      if (d === 0n || n + d < 0n) continue;
      out.add(head + (n + d).toString(radix).padStart(tail.length, "0"));
    }
  }
  const lastDash = known.lastIndexOf("-");
  for (let k = 1; k <= 500; k++) out.add(`${known.slice(0, lastDash)}-${k.toString(36)}`);
  for (const ch of "0123456789abcdef") out.add(known.slice(0, -1) + ch);
  for (let i = 0; i < 50; i++) out.add(`${known.slice(0, known.length - 36)}${randomUUID()}`);
  out.delete(known);
  return [...out];
}

describe("order ids", () => {
  it("guessing ids near a known one, counters and random ones finds no order", async () => {
    const s = await serve([]);
    const c = clients(s.address);
    try {
      const orders: Order[] = [];
      for (let i = 0; i < 30; i++) orders.push(await submit(c.dispatch));
      expect(orders.every((o) => o.state === OrderState.ORDER_STATE_DELIVERED)).toBe(true);
      const known = orders[15]!.orderId;
      const guesses = guessesAround(known);
      expect(guesses.length).toBeGreaterThan(500);
      const found: string[] = [];
      for (const guess of guesses) {
        const err = await failure(getById(c.dispatch, guess)).catch(() => null);
        if (err === null || err.code !== status.NOT_FOUND) found.push(guess);
      }
      expect(found).toEqual([]);
      // WatchOrder is the same door: a sample of the guesses, the nearest first.
      for (const guess of guesses.slice(0, 60)) {
        expect((await watch(c.dispatch, guess)).error?.code).toBe(status.NOT_FOUND);
      }
      // The ids themselves: distinct, and no two share their random part's first 16 characters.
      const randomParts = orders.map((o) => o.orderId.slice(-36, -20));
      expect(new Set(randomParts).size).toBe(orders.length);
    } finally {
      c.close();
    }
  });
});

describe("client tokens (serve --client-tokens)", () => {
  const tokens = join(dir, "clients.txt");
  writeFileSync(
    tokens,
    "# client:token, one a line\nclient-a:token-aaaaaaaaaaaaaaaa\nclient-b:token-bbbbbbbbbbbbbbbb\n",
  );
  const A = bearer("token-aaaaaaaaaaaaaaaa");
  const B = bearer("token-bbbbbbbbbbbbbbbb");
  const store = `sqlite:${join(dir, "tokens.db")}`;

  /** What each caller sees of A's orders. */
  async function expectOnlyA(c: ReturnType<typeof clients>, order: Order, delivered: boolean) {
    const mine = await getById(c.dispatch, order.orderId, A);
    expect(mine.orderId).toBe(order.orderId);
    if (delivered) expect(mine.cardCode).toBe(order.cardCode);
    const watched = await watch(c.dispatch, order.orderId, A);
    expect(watched.error).toBeNull();
    expect(watched.seen.at(-1)?.order?.orderId).toBe(order.orderId);

    // Another client: NOT_FOUND, exactly as for an order that does not exist.
    const other = await failure(getById(c.dispatch, order.orderId, B));
    expect(other.code).toBe(status.NOT_FOUND);
    expect((await watch(c.dispatch, order.orderId, B)).error?.code).toBe(status.NOT_FOUND);
    // No token, or a wrong one: UNAUTHENTICATED.
    expect((await failure(getById(c.dispatch, order.orderId))).code).toBe(status.UNAUTHENTICATED);
    expect((await watch(c.dispatch, order.orderId)).error?.code).toBe(status.UNAUTHENTICATED);
    const wrong = bearer("token-aaaaaaaaaaaaaaab");
    expect((await failure(getById(c.dispatch, order.orderId, wrong))).code).toBe(status.UNAUTHENTICATED);
    // Whoever presents the idempotency key sees it: by key, or by id with the key in metadata.
    const withKey = bearer("token-bbbbbbbbbbbbbbbb");
    withKey.set("rushhour-idempotency-key", order.idempotencyKey);
    expect((await getById(c.dispatch, order.orderId, withKey)).orderId).toBe(order.orderId);
    expect((await watch(c.dispatch, order.orderId, withKey)).error).toBeNull();
    const wrongKey = bearer("token-bbbbbbbbbbbbbbbb");
    wrongKey.set("rushhour-idempotency-key", `${order.idempotencyKey}x`);
    expect((await failure(getById(c.dispatch, order.orderId, wrongKey))).code).toBe(status.NOT_FOUND);
    const byKey = await call(
      c.dispatch.getOrder,
      c.dispatch,
      { idempotencyKey: order.idempotencyKey },
      { metadata: B },
    );
    expect(byKey.order?.orderId).toBe(order.orderId);
  }

  it("shows an order only to its client, and that holds after a restart", async () => {
    let s = await serve(["--store", store, "--client-tokens", tokens]);
    let c = clients(s.address);
    let delivered: Order;
    let running: Order;
    try {
      expect((await failure(submit(c.dispatch))).code).toBe(status.UNAUTHENTICATED);
      delivered = await submit(c.dispatch, A);
      expect(delivered.state).toBe(OrderState.ORDER_STATE_DELIVERED);
      expect(delivered.cardCode).toMatch(/^GC-/);
      await expectOnlyA(c, delivered, true);
      // An order still in memory (just accepted) is guarded the same way.
      running = await submit(c.dispatch, A, WaitMode.WAIT_MODE_ACCEPTED);
      expect((await failure(getById(c.dispatch, running.orderId, B))).code).toBe(status.NOT_FOUND);
      await expectOnlyA(c, running, false);
    } finally {
      c.close();
    }
    await s.stop();

    s = await serve(["--store", store, "--client-tokens", tokens]);
    c = clients(s.address);
    try {
      await expectOnlyA(c, delivered, true);
      await expectOnlyA(c, running, false);
    } finally {
      c.close();
    }
  });

  it("takes the admin token from --admin-token-file or RUSHHOUR_ADMIN_TOKEN, not only argv", async () => {
    const file = join(dir, "admin-token");
    writeFileSync(file, "admin-from-file-1\n", { mode: 0o600 });
    const fromFile = await serve(["--admin-token-file", file]);
    const fromEnv = await spawnServe(["--skus", "sku-a"], {
      env: { RUSHHOUR_ADMIN_TOKEN: "admin-from-env-1" },
    });
    running.push(fromEnv);
    for (const [s, token] of [
      [fromFile, "admin-from-file-1"],
      [fromEnv, "admin-from-env-1"],
    ] as const) {
      expect(s.proc.spawnargs.join(" ")).not.toContain(token);
      const c = clients(s.address);
      try {
        await call(c.admin.getConfig, c.admin, {}, { metadata: bearer(token) });
        expect(
          (await failure(call(c.admin.getConfig, c.admin, {}, { metadata: bearer("wrong-token-1") }))).code,
        ).toBe(status.UNAUTHENTICATED);
      } finally {
        c.close();
      }
    }
  });

  it("refuses a token file it cannot use with a line naming the file and line", async () => {
    const bad = join(dir, "bad.txt");
    writeFileSync(bad, "client-a:token-aaaaaaaaaaaaaaaa\nclient-b token-without-colon\n");
    const err = await serve(["--client-tokens", bad]).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/--client-tokens .*bad\.txt line 2/);
  });
});
