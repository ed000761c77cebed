// The store audit after a topology run: once every process is back (chaos settled), unfinished orders
// are given time to drain (recovered orders retried to the end), then the store is asked for what must
// never happen: a card held by or delivered to two orders, an acknowledged order neither DELIVERED nor
// FAILED, a FAILED order still holding its card, a DELIVERED order without its card.
// On PostgreSQL an order a primary forwarded to the backup (lane "overflow") holds no card itself: the
// backup's order for it (idempotency key "overflow:<order id>", same database) does. The store's own
// audit counts such orders as delivered without a card; this one checks the backup's order instead.

import pg from "pg";
import type { StoreAuditResult } from "../results/run-result.ts";
import { openStore } from "../server/store/open.ts";
import { RELEASED_SQL } from "../server/store/sql-ledger.ts";
import type { StoreAudit } from "../server/store/types.ts";

/** DELIVERED orders whose card is not delivered to them, or (forwarded ones) to their backup order. */
const DELIVERED_WITHOUT_CARD_SQL = `
SELECT
  (SELECT count(*) FROM orders o
    WHERE o.state = 'DELIVERED'
      AND NOT EXISTS (SELECT 1 FROM cards c WHERE c.owner_id = o.order_id AND c.delivered AND c.id::text = o.card_id)
      AND NOT (o.lane = 'overflow' AND EXISTS (
        SELECT 1 FROM orders b JOIN cards c ON c.owner_id = b.order_id AND c.delivered AND c.id::text = b.card_id
        WHERE b.idempotency_key = 'overflow:' || o.order_id AND b.state = 'DELIVERED')))::int AS delivered_without_card,
  (SELECT count(*) FROM orders WHERE lane = 'overflow')::int AS forwarded`;

/**
 * The first few FAILED orders still holding a card, with what the ledger says and the card's claim
 * history, so a failing audit shows how the card got stuck instead of only a count.
 */
const FAILED_HOLDING_DETAIL_SQL = `
SELECT o.order_id, o.state, o.attempts, o.lane, o.failure_reason, o.card_id AS ledger_card,
       c.id::text AS card, c.delivered,
       (SELECT string_agg(h.owner_id || ':' || h.outcome, ' > ' ORDER BY h.id)
          FROM card_claims h WHERE h.card_id = c.id) AS history
FROM orders o JOIN cards c ON c.owner_id = o.order_id
WHERE o.state IN ${RELEASED_SQL}
ORDER BY o.order_id LIMIT 5`;

interface FailedHoldingRow {
  order_id: string;
  state: string;
  attempts: number;
  lane: string | null;
  failure_reason: string | null;
  ledger_card: string | null;
  card: string;
  delivered: boolean;
  history: string | null;
}

function describeFailedHolding(r: FailedHoldingRow): string {
  return (
    `${r.order_id} ${r.state} after ${r.attempts} attempts (lane ${r.lane ?? "-"}, ` +
    `"${r.failure_reason ?? ""}", ledger card ${r.ledger_card ?? "none"}) holds card ${r.card}` +
    `${r.delivered ? " marked delivered" : ""}; claims: ${r.history ?? "none"}`
  );
}

export interface AuditOptions {
  /** Longest wait for unfinished orders to drain (default 120 s). */
  drainTimeoutMs?: number;
  /** Poll interval while waiting (default 500 ms). */
  pollMs?: number;
  log?: (line: string) => void;
}

export function judgeAudit(a: StoreAudit, drainSeconds: number, details: string[] = []): StoreAuditResult {
  const problems: string[] = [];
  if (a.duplicateCards > 0) problems.push(`${a.duplicateCards} cards given to more than one order`);
  if (a.nonTerminalOrders > 0) {
    problems.push(`${a.nonTerminalOrders} acknowledged orders neither DELIVERED nor FAILED after recovery`);
  }
  if (a.failedHoldingCards > 0) {
    problems.push(`${a.failedHoldingCards} FAILED orders still hold a card`);
    problems.push(...details.map((d) => `  e.g. ${d}`));
  }
  if (a.deliveredWithoutCard > 0) {
    problems.push(`${a.deliveredWithoutCard} DELIVERED orders without their card marked delivered`);
  }
  return { pass: problems.length === 0, ...a, drainSeconds, problems };
}

/** Waits for the store's unfinished orders to drain (or the timeout), then audits it. */
export async function auditStore(storeUrl: string, options: AuditOptions = {}): Promise<StoreAuditResult> {
  const log = options.log ?? (() => {});
  const timeout = options.drainTimeoutMs ?? 120_000;
  const poll = options.pollMs ?? 500;
  const store = await openStore(storeUrl);
  try {
    const started = Date.now();
    let audit = await store.audit();
    let lastLogged = Number.NaN;
    while (audit.nonTerminalOrders > 0 && Date.now() - started < timeout) {
      if (audit.nonTerminalOrders !== lastLogged) {
        log(`audit: waiting for ${audit.nonTerminalOrders} unfinished orders to drain`);
        lastLogged = audit.nonTerminalOrders;
      }
      await new Promise((r) => setTimeout(r, poll));
      audit = await store.audit();
    }
    const details: string[] = [];
    if (/^postgres(ql)?:/.test(storeUrl)) {
      const client = new pg.Client({ connectionString: storeUrl });
      await client.connect();
      try {
        const r = (await client.query<Record<string, number>>(DELIVERED_WITHOUT_CARD_SQL)).rows[0];
        if (r !== undefined) {
          audit = { ...audit, deliveredWithoutCard: r.delivered_without_card ?? audit.deliveredWithoutCard };
          log(`audit: ${r.forwarded} orders were forwarded to the backup; their backup orders checked`);
        }
        if (audit.failedHoldingCards > 0) {
          const rows = (await client.query<FailedHoldingRow>(FAILED_HOLDING_DETAIL_SQL)).rows;
          details.push(...rows.map(describeFailedHolding));
        }
      } finally {
        await client.end();
      }
    }
    return judgeAudit(audit, (Date.now() - started) / 1000, details);
  } finally {
    await store.close();
  }
}
