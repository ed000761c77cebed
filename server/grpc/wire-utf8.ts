// Idempotency keys are compared as the bytes the client sent. ts-proto's decoder turns invalid UTF-8
// into U+FFFD before a handler sees the string, so two different byte keys would name one order; the
// check therefore runs on the wire bytes, in the service definition's request deserializer, and the
// handler refuses the request (a deserializer that throws would become INTERNAL in grpc-js).

import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import type { MethodDefinition } from "@grpc/grpc-js";
import { invalidArgument } from "./status.ts";

const strict = new TextDecoder("utf-8", { fatal: true });
/** Requests whose wire bytes held invalid UTF-8, with the name of the first such field. */
const invalid = new WeakMap<object, string>();

/** The name of the first of `fields` (field number -> name) whose bytes are not valid UTF-8. */
export function firstInvalidUtf8(bytes: Uint8Array, fields: ReadonlyMap<number, string>): string | undefined {
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [no, wireType] = reader.tag();
    const name = fields.get(no);
    if (name === undefined || wireType !== WireType.LengthDelimited) {
      reader.skip(wireType, no);
      continue;
    }
    try {
      strict.decode(reader.bytes());
    } catch {
      return name;
    }
  }
  return undefined;
}

/**
 * The method with a deserializer that also checks `fields` on the wire when the decoded request holds a
 * U+FFFD. It decodes first, so malformed bytes fail as before; a request with invalid UTF-8 is marked for `refuseInvalidUtf8`.
 */
export function checkingUtf8<Req extends object, Res>(
  method: MethodDefinition<Req, Res>,
  fields: ReadonlyMap<number, string>,
): MethodDefinition<Req, Res> {
  return {
    ...method,
    requestDeserialize: (bytes: Buffer): Req => {
      const request = method.requestDeserialize(bytes);
      // Invalid UTF-8 always decodes to U+FFFD, so only a request holding one is read a second time.
      if (holdsReplacementChar(request)) {
        const bad = firstInvalidUtf8(bytes, fields);
        if (bad !== undefined) invalid.set(request, bad);
      }
      return request;
    },
  };
}

function holdsReplacementChar(request: object): boolean {
  for (const value of Object.values(request)) {
    if (typeof value === "string" && value.includes("\uFFFD")) return true;
  }
  return false;
}

/** INVALID_ARGUMENT naming the field if the request's wire bytes held invalid UTF-8 there. */
export function refuseInvalidUtf8(request: object): void {
  const field = invalid.get(request);
  if (field !== undefined) throw invalidArgument(field, "must be valid UTF-8");
}
