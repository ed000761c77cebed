// The credentials `rushhour load --target` presents: the servers' admin token, a client token for
// DispatchService (serve --client-tokens) and the CA of their TLS certificates (serve --tls-cert).
// Tokens come from an argument (visible in `ps`), a file or the environment, in that order.
import { readSecretFile, readTlsCa, SecurityOptionError } from "../server/security-options.ts";

export interface LoadCredentialFlags {
  "admin-token"?: string;
  "admin-token-file"?: string;
  token?: string;
  "token-file"?: string;
  "tls-ca"?: string;
}

export interface LoadCredentials {
  adminToken: string | null;
  clientToken: string | null;
  tls: { ca: string } | null;
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
  const ca = flags["tls-ca"];
  return {
    credentials: {
      adminToken: token("admin-token", "admin-token-file", "RUSHHOUR_ADMIN_TOKEN"),
      clientToken: token("token", "token-file", "RUSHHOUR_CLIENT_TOKEN"),
      tls: ca === undefined ? null : attempt(() => ({ ca: readTlsCa("tls-ca", ca) })),
    },
    problems,
  };
}
