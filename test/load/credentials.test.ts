// `rushhour load` credentials: tokens from an argument, a file or the environment (in that order),
// the TLS CA checked to be one; each problem one line naming the flag and the file.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCredentials } from "../../load/credentials.ts";
import { makeTestPki, type TestPki } from "../support/tls.ts";

const dir = mkdtempSync(join(tmpdir(), "rushhour-credentials-"));
let pki: TestPki;
beforeAll(() => {
  pki = makeTestPki();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  pki?.remove();
});

describe("loadCredentials", () => {
  it("reads tokens from files (one line, trailing newline dropped) and the CA as PEM", () => {
    writeFileSync(join(dir, "admin"), "admin-secret-123\n");
    writeFileSync(join(dir, "client"), "client-secret-123456");
    const { credentials, problems } = loadCredentials(
      { "admin-token-file": join(dir, "admin"), "token-file": join(dir, "client"), "tls-ca": pki.caCert },
      {},
    );
    expect(problems).toEqual([]);
    expect(credentials.adminToken).toBe("admin-secret-123");
    expect(credentials.clientToken).toBe("client-secret-123456");
    expect(credentials.tls?.ca).toContain("BEGIN CERTIFICATE");
  });

  it("reads a client certificate and key for servers that ask for one, and needs both and a CA", () => {
    const a = pki.client("client-a");
    const ok = loadCredentials(
      { "tls-ca": pki.caCert, "tls-client-cert": a.cert, "tls-client-key": a.key },
      {},
    );
    expect(ok.problems).toEqual([]);
    expect(ok.credentials.tls?.cert).toContain("BEGIN CERTIFICATE");
    expect(ok.credentials.tls?.key).toContain("PRIVATE KEY");
    expect(loadCredentials({ "tls-client-cert": a.cert }, {}).problems).toEqual([
      "--tls-client-cert and --tls-client-key need --tls-ca",
      "--tls-client-cert and --tls-client-key go together",
    ]);
    // A key that is not the certificate's.
    const mismatched = loadCredentials(
      { "tls-ca": pki.caCert, "tls-client-cert": a.cert, "tls-client-key": pki.serverKey },
      {},
    );
    expect(mismatched.problems).toEqual([
      expect.stringMatching(
        /^--tls-client-cert .* \/ --tls-client-key .*server\.key: not a PEM certificate and its key/,
      ),
    ]);
  });

  it("takes the argument over the environment, the environment when nothing else is given", () => {
    const env = { RUSHHOUR_ADMIN_TOKEN: "from-env-admin", RUSHHOUR_CLIENT_TOKEN: "from-env-client" };
    expect(loadCredentials({}, env).credentials).toEqual({
      adminToken: "from-env-admin",
      clientToken: "from-env-client",
      tls: null,
    });
    expect(loadCredentials({ token: "from-arg" }, env).credentials.clientToken).toBe("from-arg");
  });

  it("names the flag and file of each problem", () => {
    writeFileSync(join(dir, "not-a-ca.pem"), "hello");
    const { problems } = loadCredentials(
      {
        token: "a",
        "token-file": join(dir, "client"),
        "admin-token-file": join(dir, "missing"),
        "tls-ca": join(dir, "not-a-ca.pem"),
      },
      {},
    );
    expect(problems).toEqual([
      expect.stringMatching(/^--admin-token-file .*missing: cannot read it \(ENOENT\)$/),
      "give one of --token and --token-file",
      expect.stringMatching(/^--tls-ca .*not-a-ca\.pem: not a PEM CA certificate/),
    ]);
  });
});
