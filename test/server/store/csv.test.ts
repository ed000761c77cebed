import { describe, expect, it } from "vitest";
import { CardCsvError, importCardCsv, parseCardCsv } from "../../../server/store/csv.ts";
import { openStore } from "../../../server/store/open.ts";

describe("card CSV", () => {
  it("reads sku,code lines with a header, comments, blank lines and quotes", () => {
    const text =
      'sku,code\n# promo batch\n\ngc-50,GC-AAAA-BBBB-CCCC\r\n"gc-100", "GC-""Q""-1"\ngc-50 , GC-DDDD\n';
    const { bySku, errors } = parseCardCsv(text);
    expect(errors).toEqual([]);
    expect([...bySku]).toEqual([
      ["gc-50", ["GC-AAAA-BBBB-CCCC", "GC-DDDD"]],
      ["gc-100", ['GC-"Q"-1']],
    ]);
  });

  it("names every bad line and imports nothing from a bad file", async () => {
    const store = await openStore("memory:");
    const text = 'gc-50,GC-1\ngc-50\n,GC-2\ngc-50,\ngc-50,GC-3,extra\n"gc-50,GC-4\ngc-50,GC"5';
    const err = await importCardCsv(store, text).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CardCsvError);
    expect((err as CardCsvError).errors.map((e) => e.line)).toEqual([2, 3, 4, 5, 6, 7]);
    expect((err as CardCsvError).message).toMatch(/line 2: expected 2 fields/);
    expect(await store.stock("gc-50")).toBe(0);
    await store.close();
  });

  it("imports a good file into the store, counting duplicates", async () => {
    const store = await openStore("memory:");
    expect(await importCardCsv(store, "a,K1\na,K2\nb,K3\nb,K1\n")).toEqual({
      imported: 3,
      duplicates: 1,
      skus: 2,
    });
    expect(await store.stock("a")).toBe(2);
    await store.close();
  });
});
