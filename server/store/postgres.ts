// Placeholder until the PostgreSQL store lands (same commit series).
import type { Store } from "./types.ts";

export async function openPostgresStore(url: string, _options: { poolSize: number }): Promise<Store> {
  throw new Error(`the PostgreSQL store is not built yet (${url})`);
}
