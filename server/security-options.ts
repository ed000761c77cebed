// Reading what `rushhour serve` (and the load driver) need for credentials: secrets from files (not
// argv, which `ps` shows to every user), TLS certificates and keys checked to parse before the server
// starts. Every problem is one line naming the flag and the file.
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { createSecureContext } from "node:tls";
import type { TlsMaterial } from "./grpc/server.ts";

export class SecurityOptionError extends Error {
  override name = "SecurityOptionError";
}

function readFlagFile(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new SecurityOptionError(
      `--${flag} ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
}

/** A secret kept in a file (a token): its text without the trailing newline an editor adds. */
export function readSecretFile(flag: string, path: string): string {
  const text = readFlagFile(flag, path)
    .toString("utf8")
    .replace(/\r?\n$/, "");
  if (text === "") throw new SecurityOptionError(`--${flag} ${path}: the file is empty`);
  if (/[\r\n]/.test(text)) throw new SecurityOptionError(`--${flag} ${path}: must hold one line`);
  return text;
}

/** --tls-cert, --tls-key and --tls-client-ca read and checked; undefined when TLS is off. */
export function readTlsFlags(flags: {
  cert?: string;
  key?: string;
  clientCa?: string;
}): TlsMaterial | undefined {
  if (flags.cert === undefined && flags.key === undefined) {
    if (flags.clientCa !== undefined) {
      throw new SecurityOptionError("--tls-client-ca needs --tls-cert and --tls-key (the server's own TLS)");
    }
    return undefined;
  }
  if (flags.cert === undefined || flags.key === undefined) {
    throw new SecurityOptionError("--tls-cert and --tls-key go together (PEM certificate chain and its key)");
  }
  const { cert, key } = readCertAndKey(["tls-cert", flags.cert], ["tls-key", flags.key]);
  if (flags.clientCa === undefined) return { cert, key };
  const clientCa = readFlagFile("tls-client-ca", flags.clientCa);
  try {
    checkCa(clientCa);
  } catch (err) {
    throw new SecurityOptionError(
      `--tls-client-ca ${flags.clientCa}: not a PEM CA certificate (${(err as Error).message})`,
    );
  }
  return { cert, key, clientCa };
}

/** A PEM certificate chain and its private key, read and checked to belong together. */
function readCertAndKey(
  [certFlag, certPath]: [string, string],
  [keyFlag, keyPath]: [string, string],
): { cert: Buffer; key: Buffer } {
  const cert = readFlagFile(certFlag, certPath);
  const key = readFlagFile(keyFlag, keyPath);
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new SecurityOptionError(
      `--${certFlag} ${certPath} / --${keyFlag} ${keyPath}: not a PEM certificate and its key (${(err as Error).message})`,
    );
  }
  return { cert, key };
}

/** Throws unless the PEM holds a certificate (createSecureContext ignores a CA it cannot parse). */
function checkCa(pem: Buffer): void {
  if (!pem.toString("latin1").includes("-----BEGIN CERTIFICATE-----"))
    throw new Error("no PEM certificate in it");
  new X509Certificate(pem);
}

/** A CA certificate a client trusts the server's certificate by (load --tls-ca). */
export function readTlsCa(flag: string, path: string): string {
  const pem = readFlagFile(flag, path);
  try {
    checkCa(pem);
  } catch (err) {
    throw new SecurityOptionError(`--${flag} ${path}: not a PEM CA certificate (${(err as Error).message})`);
  }
  return pem.toString("utf8");
}

/** A client's own certificate and key (load --tls-client-cert/--tls-client-key), checked to match. */
export function readClientCertificate(
  certPath: string | undefined,
  keyPath: string | undefined,
): { cert: string; key: string } {
  if (certPath === undefined || keyPath === undefined) {
    throw new SecurityOptionError("--tls-client-cert and --tls-client-key go together");
  }
  const { cert, key } = readCertAndKey(["tls-client-cert", certPath], ["tls-client-key", keyPath]);
  return { cert: cert.toString("utf8"), key: key.toString("utf8") };
}

/** Loopback addresses: tokens sent to them in clear text do not leave the machine. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\./.test(host);
}
