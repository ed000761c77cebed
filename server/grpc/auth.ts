// Bearer-token auth: `authorization: Bearer <token>` metadata, compared in constant time. The Admin
// service takes one admin token; the Dispatch service, when clients are configured (serve
// --client-tokens), one token per client, or a client certificate's CN (serve --tls-client-ca).
import { createHash, timingSafeEqual } from "node:crypto";
import type { Metadata } from "@grpc/grpc-js";
import type { ClientToken } from "../client-tokens.ts";
import { type PeerAuth, unauthenticated } from "./status.ts";

/** The token of an `authorization: Bearer <token>` header, or null. */
function bearerToken(metadata: Metadata): string | null {
  const values = metadata.get("authorization");
  const header = values.length === 1 ? String(values[0]) : "";
  const match = /^Bearer (.+)$/i.exec(header);
  return match === null ? null : match[1]!;
}

export function checkBearer(metadata: Metadata, token: string): void {
  const given = bearerToken(metadata);
  if (given === null) throw unauthenticated("missing authorization: Bearer <admin token>");
  const a = Buffer.from(given);
  const expected = Buffer.from(token);
  if (a.length !== expected.length || !timingSafeEqual(a, expected)) {
    throw unauthenticated("wrong admin token");
  }
}

/** What a Dispatch handler sees of its call. */
export interface CallerInfo {
  metadata: Metadata;
  getAuthContext?(): PeerAuth | null;
}

/**
 * Who is calling the Dispatch service. `identify` answers the client id, or null when clients are not
 * told apart (the default: then unguessable order ids are the protection); it throws UNAUTHENTICATED
 * for a call without a valid credential.
 */
export interface ClientAuth {
  readonly enabled: boolean;
  identify(call: CallerInfo): string | null;
}

export const NO_CLIENT_AUTH: ClientAuth = { enabled: false, identify: () => null };

const sha256 = (text: string) => createHash("sha256").update(text).digest();

/**
 * Per-client bearer tokens. The given token's SHA-256 is compared with every client's in constant time
 * (no early exit, equal lengths), so the time taken tells nothing about any token.
 */
export function tokenClientAuth(tokens: readonly ClientToken[]): ClientAuth {
  const digests = tokens.map((t) => ({ clientId: t.clientId, digest: sha256(t.token) }));
  return {
    enabled: true,
    identify(call) {
      const given = bearerToken(call.metadata);
      if (given === null) throw unauthenticated("missing authorization: Bearer <client token>");
      const digest = sha256(given);
      let found: string | null = null;
      for (const d of digests) if (timingSafeEqual(digest, d.digest)) found = d.clientId;
      if (found === null) throw unauthenticated("unknown client token");
      return found;
    },
  };
}

/**
 * Mutual TLS: the client id is the CN of the certificate the client presented (the TLS handshake
 * already checked it against the client CA).
 */
export function certificateClientAuth(): ClientAuth {
  return {
    enabled: true,
    identify(call) {
      const cn = call.getAuthContext?.()?.sslPeerCertificate?.subject?.CN;
      const id = Array.isArray(cn) ? cn[0] : cn;
      if (id === undefined || id === "") throw unauthenticated("no client certificate with a CN");
      return id;
    },
  };
}

/** Metadata with which a caller of GetOrder/WatchOrder by order id presents the order's idempotency key. */
export const IDEMPOTENCY_KEY_HEADER = "rushhour-idempotency-key";

/**
 * An order by id is shown to its client, or to a caller presenting its idempotency key (which would
 * replay the order through SubmitOrder anyway); another client gets NOT_FOUND, as for no order.
 */
export function mayRead(
  call: CallerInfo,
  caller: string | null,
  order: { clientId: string | null; idempotencyKey: string },
): boolean {
  if (caller === null || caller === order.clientId) return true;
  const values = call.metadata.get(IDEMPOTENCY_KEY_HEADER);
  if (values.length !== 1) return false;
  const given = Buffer.from(String(values[0]));
  const key = Buffer.from(order.idempotencyKey);
  return given.length === key.length && timingSafeEqual(given, key);
}
