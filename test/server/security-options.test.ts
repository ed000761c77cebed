// The files serve's credential flags read: client tokens (lines or JSON), TLS certificate and key,
// client CA; every problem one line naming the flag, the file and (for tokens) the line.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseClientTokens } from "../../server/client-tokens.ts";
import { readSecretFile, readTlsFlags } from "../../server/security-options.ts";
import { makeTestPki, type TestPki } from "../support/tls.ts";

let pki: TestPki;
beforeAll(() => {
  pki = makeTestPki();
});
afterAll(() => pki?.remove());

describe("client token files", () => {
  it("reads CLIENT:TOKEN lines with comments, and a JSON object", () => {
    const lines = "# ops\n\nshop-1:aaaaaaaaaaaaaaaa1\r\nshop-2:bbbbbbbbbbbbbbbb:2\n";
    expect(parseClientTokens(lines, "t.txt")).toEqual([
      { clientId: "shop-1", token: "aaaaaaaaaaaaaaaa1" },
      { clientId: "shop-2", token: "bbbbbbbbbbbbbbbb:2" },
    ]);
    expect(parseClientTokens('{"shop-1": "aaaaaaaaaaaaaaaa1"}', "t.json")).toEqual([
      { clientId: "shop-1", token: "aaaaaaaaaaaaaaaa1" },
    ]);
  });

  it.each([
    ["", "t.txt: names no client"],
    ["shop-1:short\n", "t.txt line 1: the token must be 16-256 printable characters without spaces"],
    ["shop 1:aaaaaaaaaaaaaaaa1\n", "t.txt line 1: the client id must be 1-64 of [A-Za-z0-9._@-]"],
    ["a:aaaaaaaaaaaaaaaa1\na:bbbbbbbbbbbbbbbb2\n", "t.txt line 2: client a is named twice"],
    ["a:aaaaaaaaaaaaaaaa1\nb:aaaaaaaaaaaaaaaa1\n", "t.txt line 2: the token is already another client's"],
    ['{"a": 1}', 't.txt "a": the token must be a string'],
    ["{not json", "t.txt: not JSON"],
  ])("refuses %j: %s", (text, message) => {
    expect(() => parseClientTokens(text, "t.txt")).toThrow(message);
  });
});

describe("TLS flags", () => {
  it("reads a certificate, its key and a client CA; nothing without the flags", () => {
    expect(readTlsFlags({})).toBeUndefined();
    const tls = readTlsFlags({ cert: pki.serverCert, key: pki.serverKey, clientCa: pki.caCert });
    expect(tls?.cert.toString()).toContain("BEGIN CERTIFICATE");
    expect(tls?.clientCa?.toString()).toContain("BEGIN CERTIFICATE");
  });

  it("names the flag and file of each problem", () => {
    expect(() => readTlsFlags({ cert: pki.serverCert })).toThrow("--tls-cert and --tls-key go together");
    expect(() => readTlsFlags({ clientCa: pki.caCert })).toThrow(
      "--tls-client-ca needs --tls-cert and --tls-key",
    );
    const other = pki.client("someone");
    expect(() => readTlsFlags({ cert: pki.serverCert, key: other.key })).toThrow(
      /^--tls-cert .*server\.crt \/ --tls-key .*\.key: not a PEM certificate and its key/,
    );
    expect(() => readTlsFlags({ cert: pki.serverCert, key: pki.serverKey, clientCa: pki.serverKey })).toThrow(
      /^--tls-client-ca .*server\.key: not a PEM CA certificate/,
    );
    expect(() => readTlsFlags({ cert: join(pki.dir, "nope.crt"), key: pki.serverKey })).toThrow(
      /^--tls-cert .*nope\.crt: cannot read it \(ENOENT\)$/,
    );
  });

  it("reads a secret file's one line, without its newline", () => {
    const file = join(pki.dir, "secret");
    writeFileSync(file, "s3cret-token\n");
    expect(readSecretFile("admin-token-file", file)).toBe("s3cret-token");
    writeFileSync(file, "one\ntwo\n");
    expect(() => readSecretFile("admin-token-file", file)).toThrow(
      /--admin-token-file .*secret: must hold one line/,
    );
  });
});
