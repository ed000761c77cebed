// Kills a crash-child.ts process (kill -9) in the middle of a busy stream of acknowledged writes, then
// holds the store to what the child was told: every acknowledged order, claim and delivery is there
// (docs/ARCHITECTURE.md rule P1), no card has two owners, and no card is stranded with an owner the
// ledger does not know. Shared by the SQLite and PostgreSQL store tests.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { openStore, seedStock } from "../../../server/store/open.ts";

const CRASH_CHILD = fileURLToPath(new URL("./crash-child.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export async function expectNothingLostAfterKill(url: string, deliveredBeforeKill: number): Promise<void> {
  const sku = "sku-a";
  const seeded = deliveredBeforeKill * 10;
  const setup = await openStore(url);
  await seedStock(setup, [sku], seeded, "GC", { seed: 5 });
  await setup.close();

  const child = spawn(process.execPath, ["--import", "tsx", CRASH_CHILD, url, sku], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve) => {
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      // Enough acknowledged work that the kill lands in the middle of a busy stream of commits.
      if ((out.match(/\nD /g)?.length ?? 0) >= deliveredBeforeKill && child.exitCode === null) {
        child.kill("SIGKILL");
        resolve();
      }
    });
    child.once("exit", () => resolve());
  });
  await exited;
  // Only lines the child finished writing count as acknowledged.
  const lines = out.slice(0, out.lastIndexOf("\n")).split("\n");
  const recorded = lines.filter((l) => l.startsWith("A ")).map((l) => l.split(" ")[1]!);
  const claimed = lines
    .filter((l) => l.startsWith("C "))
    .map((l) => l.split(" ").slice(1) as [string, string]);
  const delivered = lines
    .filter((l) => l.startsWith("D "))
    .map((l) => l.split(" ").slice(1) as [string, string]);
  expect(delivered.length).toBeGreaterThanOrEqual(deliveredBeforeKill);

  const s = await openStore(url);
  for (const id of recorded) expect(await s.getOrder(id), id).toBeDefined();
  for (const [id, cardId] of claimed) {
    expect(await s.claim(id, sku)).toMatchObject({ kind: "claimed", card: { cardId } });
  }
  for (const [id, cardId] of delivered) {
    // Delivered is final: the owner's deliver is a no-op and nobody else can take the card back.
    expect(await s.deliver(id, cardId)).toEqual({ kind: "ok" });
    expect((await s.release(id, cardId)).kind).toBe("error");
  }
  const audit = await s.audit();
  expect(audit.duplicateCards).toBe(0);
  // No card stranded: once every order in the ledger holds its card (a claim returns the one it has),
  // the free stock is exactly the rest. A card held by an owner the ledger does not know would be missing.
  const ids = new Set(recorded);
  const highest = Math.max(...recorded.map((id) => Number(id.split("-")[1])));
  // The child numbers its orders in sequence; some past the last acknowledged one may be committed too.
  const found = await Promise.all(Array.from({ length: highest + 65 }, (_, i) => s.getOrder(`crash-${i}`)));
  for (const o of found) if (o) ids.add(o.orderId);
  expect(ids.size).toBe(audit.totalOrders);
  const claims = await Promise.all([...ids].map((id) => s.claim(id, sku)));
  expect(claims.filter((c) => c.kind !== "claimed")).toEqual([]);
  expect(await s.stock(sku)).toBe(seeded - ids.size);
  await s.close();
}
