// Store URLs in messages show the user but never the password, parseable or not.
import { describe, expect, it } from "vitest";
import { parseStoreUrl } from "../../../server/store/open.ts";
import { redactStoreUrl, redactStoreUrls } from "../../../server/store/redact-url.ts";

describe("store URL redaction", () => {
  it("replaces the password, also in unparseable URLs and passwords holding @ or :", () => {
    expect(redactStoreUrl("postgres://bob:s3cret@db:5432/x")).toBe("postgres://bob:***@db:5432/x");
    expect(redactStoreUrl("postgres://bob:s3cret@db.example:notaport/x")).toBe(
      "postgres://bob:***@db.example:notaport/x",
    );
    expect(redactStoreUrl("postgresql://bob:p@ss:w@db/x")).toBe("postgresql://bob:***@db/x");
    expect(redactStoreUrl("postgres://bob@db/x")).toBe("postgres://bob@db/x");
    expect(redactStoreUrl("sqlite:./data/rushhour.db")).toBe("sqlite:./data/rushhour.db");
    expect(redactStoreUrls("connect to postgres://a:pw1@h/x failed; retry postgres://b:pw2@h/y")).toBe(
      "connect to postgres://a:***@h/x failed; retry postgres://b:***@h/y",
    );
  });

  it("parseStoreUrl's error shows the URL without its password", () => {
    expect(() => parseStoreUrl("postgres://bob:s3cret@db:port/x")).toThrow(
      /"postgres:\/\/bob:\*\*\*@db:port\/x"/,
    );
    expect(() => parseStoreUrl("postgres://bob:s3cret@db:port/x")).not.toThrow(/s3cret/);
  });
});
