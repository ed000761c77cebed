// Bearer-token auth for the Admin service: `authorization: Bearer <token>` metadata, compared in
// constant time. Without it (or with a wrong one) every Admin call is UNAUTHENTICATED.
import { timingSafeEqual } from "node:crypto";
import type { Metadata } from "@grpc/grpc-js";
import { unauthenticated } from "./status.ts";

export function checkBearer(metadata: Metadata, token: string): void {
  const values = metadata.get("authorization");
  const header = values.length === 1 ? String(values[0]) : "";
  const match = /^Bearer (.+)$/i.exec(header);
  if (match === null) throw unauthenticated("missing authorization: Bearer <admin token>");
  const given = Buffer.from(match[1]!);
  const expected = Buffer.from(token);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw unauthenticated("wrong admin token");
  }
}
