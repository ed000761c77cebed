// Throwaway certificates for the TLS tests, made with the openssl command (on every CI image; no
// network, no npm package): a CA, a server certificate for 127.0.0.1/localhost signed by it, and
// client certificates (CN = the client id) for mutual TLS.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestPki {
  dir: string;
  /** Paths of the PEM files. */
  caCert: string;
  serverCert: string;
  serverKey: string;
  /** A client certificate and key signed by the CA, CN = `cn`. */
  client(cn: string): { cert: string; key: string };
  /** The PEM text of a file. */
  read(path: string): Buffer;
  remove(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

/** A key (EC P-256: fast to make) and a certificate for `subject`, signed by the CA (or self-signed). */
function issue(dir: string, name: string, subject: string, ext: string | null, ca: boolean): void {
  openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${name}.key`], dir);
  if (ca) {
    openssl(
      ["req", "-x509", "-new", "-key", `${name}.key`, "-subj", subject, "-days", "2", "-out", `${name}.crt`],
      dir,
    );
    return;
  }
  openssl(["req", "-new", "-key", `${name}.key`, "-subj", subject, "-out", `${name}.csr`], dir);
  const sign = ["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key"];
  sign.push("-CAcreateserial", "-days", "2", "-out", `${name}.crt`);
  if (ext !== null) {
    writeFileSync(join(dir, `${name}.ext`), ext);
    sign.push("-extfile", `${name}.ext`);
  }
  openssl(sign, dir);
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "rushhour-pki-"));
  issue(dir, "ca", "/CN=rushhour test CA", null, true);
  issue(dir, "server", "/CN=localhost", "subjectAltName=IP:127.0.0.1,DNS:localhost\n", false);
  return {
    dir,
    caCert: join(dir, "ca.crt"),
    serverCert: join(dir, "server.crt"),
    serverKey: join(dir, "server.key"),
    client(cn) {
      const name = `client-${cn.replace(/[^A-Za-z0-9-]/g, "_")}`;
      issue(dir, name, `/CN=${cn}`, "extendedKeyUsage=clientAuth\n", false);
      return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
    },
    read: (path) => readFileSync(path),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
