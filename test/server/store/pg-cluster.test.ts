import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { findPostgresBin, startThrowawayPostgres } from "../../../server/store/pg-cluster.ts";

describe("throwaway PostgreSQL cluster", () => {
  const saved = process.env.RUSHHOUR_PG_BIN;
  afterEach(() => {
    if (saved === undefined) delete process.env.RUSHHOUR_PG_BIN;
    else process.env.RUSHHOUR_PG_BIN = saved;
  });

  it("starts on 127.0.0.1, serves queries, and leaves nothing behind when stopped", async () => {
    const cluster = await startThrowawayPostgres();
    try {
      expect(cluster.url).toBe(`postgres://postgres@127.0.0.1:${cluster.port}/postgres`);
      expect(existsSync(join(cluster.dir, "data", "PG_VERSION"))).toBe(true);
      const client = new pg.Client(cluster.url);
      await client.connect();
      expect((await client.query("SELECT 1 + 1 AS two")).rows[0]).toEqual({ two: 2 });
      await client.end();
    } finally {
      await cluster.stop();
    }
    expect(existsSync(cluster.dir)).toBe(false);
    await cluster.stop();
    const late = new pg.Client(cluster.url);
    await expect(late.connect()).rejects.toThrow();
  });

  it("refuses a directory that is not empty, since stop removes it", async () => {
    const full = mkdtempSync(join(tmpdir(), "rushhour-full-"));
    try {
      writeFileSync(join(full, "keep.txt"), "precious");
      await expect(startThrowawayPostgres({ dir: full })).rejects.toThrow(/not empty/);
      expect(existsSync(join(full, "keep.txt"))).toBe(true);
    } finally {
      rmSync(full, { recursive: true, force: true });
    }
  });

  it("says clearly when the PostgreSQL binaries are missing", async () => {
    const empty = mkdtempSync(join(tmpdir(), "rushhour-nopg-"));
    try {
      process.env.RUSHHOUR_PG_BIN = empty;
      expect(() => findPostgresBin()).toThrow(/RUSHHOUR_PG_BIN=.* holds no initdb and pg_ctl/);
      await expect(startThrowawayPostgres()).rejects.toThrow(/no initdb/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
