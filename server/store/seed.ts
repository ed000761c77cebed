// Generates card keys for demos and load runs and imports them. Codes look like real card keys
// ("GC-7KQ2-M9XD-P4TA") and are unique: each is a bijective scramble of (seed, running index), so two
// codes of one call never collide, nor do codes of calls with different seeds.
import { randomInt } from "node:crypto";
import type { Store } from "./types.ts";

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"; // Crockford base 32: no I, L, O, U
const BITS = 60n;
const MASK = (1n << BITS) - 1n;
const INDEX_BITS = 40n;
const BATCH = 5000;

export interface SeedOptions {
  /** 20-bit seed; a different seed gives a disjoint set of codes. Random when absent. */
  seed?: number;
}

export interface SeedResult {
  imported: number;
  duplicates: number;
  seed: number;
}

/** Imports `perSku` fresh card keys for each SKU, codes `${prefix}-XXXX-XXXX-XXXX`. */
export async function seedStock(
  store: Store,
  skus: string[],
  perSku: number,
  prefix = "GC",
  options: SeedOptions = {},
): Promise<SeedResult> {
  if (!Number.isInteger(perSku) || perSku < 0)
    throw new Error(`perSku must be a whole number >= 0, got ${perSku}`);
  if (skus.length * perSku >= 2 ** Number(INDEX_BITS))
    throw new Error("too many cards for one seedStock call");
  const seed = options.seed ?? randomInt(0, 1 << 20);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 1 << 20) {
    throw new Error(`seed must be a whole number in [0, 2^20), got ${seed}`);
  }
  let imported = 0;
  let duplicates = 0;
  let index = 0;
  for (const sku of skus) {
    for (let start = 0; start < perSku; start += BATCH) {
      const codes: string[] = [];
      const end = Math.min(perSku, start + BATCH);
      for (let i = start; i < end; i++) codes.push(cardCode(prefix, seed, index++));
      const r = await store.importCards(sku, codes);
      imported += r.imported;
      duplicates += r.duplicates;
    }
  }
  return { imported, duplicates, seed };
}

/** The code for (seed, index); distinct (seed, index) pairs give distinct codes. */
export function cardCode(prefix: string, seed: number, index: number): string {
  let x = (BigInt(seed) << INDEX_BITS) | BigInt(index);
  // Each step is invertible on 60 bits (xor-shift right, multiply by an odd constant), so the whole is a bijection.
  for (let round = 0; round < 3; round++) {
    x ^= x >> 29n;
    x = (x * 0x9e3779b97f4a7c1n) & MASK;
  }
  let body = "";
  for (let i = 0; i < 12; i++) {
    if (i > 0 && i % 4 === 0) body += "-";
    body += ALPHABET[Number((x >> BigInt(55 - 5 * i)) & 31n)];
  }
  return prefix ? `${prefix}-${body}` : body;
}
