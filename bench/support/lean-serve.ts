// The lean `rushhour serve` the server and scale benches measure: providers in-process with zero latency
// (no farm), no metrics endpoint, 20 SKUs of 5,000 cards each, so what differs between arms is the store
// and the flags an arm adds.
import { type Spawned, spawnRushhour } from "../../test/support/spawn.ts";

/** SKUs sku-1..sku-N the lean server sells (the benches' clients order these). */
export const LEAN_SKUS = 20;
/** Cards seeded per SKU: a pool whose stock counts cost what a shop's would. */
export const LEAN_STOCK = 5000;
export const LEAN_ADMIN_TOKEN = "bench-admin-token";

export function spawnLeanServe(store: string, extra: string[] = []): Promise<Spawned> {
  return spawnRushhour(
    [
      "serve",
      "--port",
      "0",
      "--store",
      store,
      "--providers",
      "local:zero",
      "--metrics-port",
      "off",
      "--skus",
      String(LEAN_SKUS),
      "--seed-stock",
      String(LEAN_STOCK),
      "--admin-token",
      LEAN_ADMIN_TOKEN,
      ...extra,
    ],
    /rushhour serve listening on (\S+)/,
  );
}
