// Placeholder until the SQLite store lands (same commit series).
import type { Store } from "./types.ts";

export async function openSqliteStore(
  path: string,
  _options: { synchronous: "normal" | "full" },
): Promise<Store> {
  throw new Error(`the SQLite store is not built yet (${path})`);
}
