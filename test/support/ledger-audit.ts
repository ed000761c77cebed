// The store audit after a test run: opens the ledger, asserts every count that must be 0 on a healthy
// store is 0, and returns the audit for the test's own checks.
import { expect } from "vitest";
import { openStore } from "../../server/store/open.ts";
import type { StoreAudit } from "../../server/store/types.ts";

export async function expectCleanLedger(storeUrl: string): Promise<StoreAudit> {
  const store = await openStore(storeUrl);
  try {
    const audit = await store.audit();
    expect(audit.duplicateCards).toBe(0);
    expect(audit.nonTerminalOrders).toBe(0);
    expect(audit.failedHoldingCards).toBe(0);
    expect(audit.deliveredWithoutCard).toBe(0);
    return audit;
  } finally {
    await store.close();
  }
}
