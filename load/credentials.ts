// The credentials `rushhour load --target` presents: the servers' admin token, a client token for
// DispatchService (serve --client-tokens) and the CA of their TLS certificates (serve --tls-cert).
// Tokens come from an argument (visible in `ps`), a file or the environment, in that order.
import {
  readClientCertificate,
  readSecretFile,
  readTlsCa,
  SecurityOptionError,
} from "../server/security-options.ts";
import type { ClientTls } from "./unary-channel.ts";

export interface LoadCredentialFlags {
  "admin-token"?: string;
  "admin-token-file"?: string;
  token?: string;
  "token-file"?: string;
  "tls-ca"?: string;
  "tls-client-cert"?: string;
  "tls-client-key"?: string;
}

export interface LoadCredentials {
  adminToken: string | null;
  clientToken: string | null;
  tls: ClientTls | null;
}

/** The credentials, or the problems with the flags (one line each, naming the flag and file). */
export function loadCredentials(
  flags: LoadCredentialFlags,
  env: NodeJS.ProcessEnv = process.env,
): { credentials: LoadCredentials; problems: string[] } {
  const problems: string[] = [];
  const attempt = <T>(read: () => T): T | null => {
    try {
      return read();
    } catch (err) {
      if (!(err instanceof SecurityOptionError)) throw err;
      problems.push(err.message);
      return null;
    }
  };
  const token = (flag: string, fileFlag: string, variable: string): string | null => {
    const value = flags[flag as keyof LoadCredentialFlags];
    const file = flags[fileFlag as keyof LoadCredentialFlags];
    if (value !== undefined && file !== undefined) {
      problems.push(`give one of --${flag} and --${fileFlag}`);
      return null;
    }
    if (value !== undefined) return value;
    if (file !== undefined) return attempt(() => readSecretFile(fileFlag, file));
    return env[variable] ?? null;
  };
  const adminToken = token("admin-token", "admin-token-file", "RUSHHOUR_ADMIN_TOKEN");
  const clientToken = token("token", "token-file", "RUSHHOUR_CLIENT_TOKEN");
  const ca = flags["tls-ca"];
  const cert = flags["tls-client-cert"];
  const key = flags["tls-client-key"];
  let tls: ClientTls | null = null;
  if (ca !== undefined) tls = attempt(() => ({ ca: readTlsCa("tls-ca", ca) }));
  if (cert !== undefined || key !== undefined) {
    if (ca === undefined) problems.push("--tls-client-cert and --tls-client-key need --tls-ca");
    const own = attempt(() => readClientCertificate(cert, key));
    if (tls !== null && own !== null) tls = { ...tls, ...own };
  }
  return {
    credentials: { adminToken, clientToken, tls },
    problems,
  };
}
