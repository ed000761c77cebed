import { describe, expect, it } from "vitest";
import { openStore, parseStoreUrl } from "../../../server/store/open.ts";
import { storeCases } from "./store.cases.ts";

storeCases("memory", { open: () => openStore("memory:") });

describe("store URLs", () => {
  it("select a store by scheme", () => {
    expect(parseStoreUrl("memory:")).toEqual({ kind: "memory" });
    expect(parseStoreUrl("sqlite:./data/rushhour.db")).toEqual({
      kind: "sqlite",
      path: "./data/rushhour.db",
    });
    expect(parseStoreUrl("sqlite::memory:")).toEqual({ kind: "sqlite", path: ":memory:" });
    expect(parseStoreUrl("sqlite:///tmp/x.db")).toEqual({ kind: "sqlite", path: "/tmp/x.db" });
    expect(parseStoreUrl("postgres://app@127.0.0.1:5432/shop?pool=32")).toEqual({
      kind: "postgres",
      connectionString: "postgres://app@127.0.0.1:5432/shop",
      poolSize: 32,
    });
    expect(parseStoreUrl("postgres://app@127.0.0.1:5432/shop?batches=0&pool=8")).toEqual({
      kind: "postgres",
      connectionString: "postgres://app@127.0.0.1:5432/shop",
      poolSize: 8,
      batches: 0,
    });
  });

  it("reject bad URLs with a message naming the accepted forms", async () => {
    for (const url of [
      "",
      "mysql://x/y",
      "sqlite:",
      "postgres://host",
      "postgres://h/db?pool=0",
      "postgres://h/db?batches=-1",
      "postgres://h/db?batches=many",
      "postgres://",
    ]) {
      expect(() => parseStoreUrl(url), url).toThrow(/accepted forms: memory:, sqlite:.*postgres:\/\//);
    }
    await expect(openStore("redis://localhost")).rejects.toThrow(/unknown scheme/);
  });
});
