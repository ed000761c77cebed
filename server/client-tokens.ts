// `serve --client-tokens FILE`: which bearer token belongs to which client. Either a JSON object
// {"client-a": "token", ...} or lines `client:token` ('#' comments and blank lines allowed). Every
// problem is one line naming the file (and the line).
import { readFileSync } from "node:fs";

export interface ClientToken {
  clientId: string;
  token: string;
}

export class ClientTokensError extends Error {
  override name = "ClientTokensError";
}

const CLIENT_ID = /^[A-Za-z0-9._@-]{1,64}$/;
/** Printable ASCII without spaces, long enough not to be guessed. */
const TOKEN = /^[\x21-\x7e]{16,256}$/;

export function readClientTokens(path: string): ClientToken[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ClientTokensError(
      `${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  return parseClientTokens(text, path);
}

export function parseClientTokens(text: string, source: string): ClientToken[] {
  const entries: { clientId: string; token: string; where: string }[] = [];
  if (text.trimStart().startsWith("{")) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new ClientTokensError(`${source}: not JSON: ${(err as Error).message}`);
    }
    if (json === null || typeof json !== "object" || Array.isArray(json)) {
      throw new ClientTokensError(`${source}: expected a JSON object of client id to token`);
    }
    for (const [clientId, token] of Object.entries(json)) {
      if (typeof token !== "string")
        throw new ClientTokensError(`${source} "${clientId}": the token must be a string`);
      entries.push({ clientId, token, where: `${source} "${clientId}"` });
    }
  } else {
    for (const [i, raw] of text.split(/\r?\n/).entries()) {
      const line = raw.trim();
      if (line === "" || line.startsWith("#")) continue;
      const colon = line.indexOf(":");
      const where = `${source} line ${i + 1}`;
      if (colon <= 0) throw new ClientTokensError(`${where}: expected CLIENT:TOKEN`);
      entries.push({ clientId: line.slice(0, colon), token: line.slice(colon + 1), where });
    }
  }
  if (entries.length === 0) throw new ClientTokensError(`${source}: names no client`);
  const ids = new Set<string>();
  const tokens = new Set<string>();
  for (const e of entries) {
    if (!CLIENT_ID.test(e.clientId)) {
      throw new ClientTokensError(`${e.where}: the client id must be 1-64 of [A-Za-z0-9._@-]`);
    }
    if (!TOKEN.test(e.token)) {
      throw new ClientTokensError(`${e.where}: the token must be 16-256 printable characters without spaces`);
    }
    if (ids.has(e.clientId)) throw new ClientTokensError(`${e.where}: client ${e.clientId} is named twice`);
    if (tokens.has(e.token)) throw new ClientTokensError(`${e.where}: the token is already another client's`);
    ids.add(e.clientId);
    tokens.add(e.token);
  }
  return entries.map(({ clientId, token }) => ({ clientId, token }));
}
