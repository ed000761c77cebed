// Writes the shipped promotion log: `npx tsx scenarios/logs/generate.ts [FILE] [--orders N] [--seconds S]`
// (default scenarios/logs/promo-2025.csv.gz, 200,000 orders over 150 s). The bench uses the same generator
// for its 10-million-order log.
import { parseArgs } from "node:util";
import { OrderLogWriter } from "../../traffic/replay/writer.ts";
import { PROMO_LOG_DEFAULTS, promoLog } from "./promo-log.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { orders: { type: "string" }, seconds: { type: "string" } },
});
const file = positionals[0] ?? new URL("./promo-2025.csv.gz", import.meta.url).pathname;
const orders = Number(values.orders ?? PROMO_LOG_DEFAULTS.orders);
const seconds = Number(values.seconds ?? PROMO_LOG_DEFAULTS.seconds);
if (!Number.isInteger(orders) || orders < 1)
  throw new Error(`--orders must be a whole number >= 1, got ${values.orders}`);
if (!Number.isInteger(seconds) || seconds < 1)
  throw new Error(`--seconds must be a whole number >= 1, got ${values.seconds}`);
const out = new OrderLogWriter(file);
await out.ready();
for (const o of promoLog({ ...PROMO_LOG_DEFAULTS, orders, seconds })) if (out.add(o)) await out.drain();
await out.close();
process.stdout.write(`wrote ${out.written} orders to ${file}\n`);
