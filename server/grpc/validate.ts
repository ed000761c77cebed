// Request validation shared by the handlers: each check throws INVALID_ARGUMENT naming the field.
import { invalidArgument } from "./status.ts";

const SKU = /^[A-Za-z0-9._:-]{1,64}$/;
/** Printable: no control characters (C0, DEL, C1). */
function printable(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return false;
  }
  return true;
}

export function checkIdempotencyKey(field: string, value: string): void {
  if (value.length === 0) throw invalidArgument(field, "required");
  if (value.length > 128) throw invalidArgument(field, `at most 128 characters, got ${value.length}`);
  if (!printable(value)) throw invalidArgument(field, "must be printable characters");
}

export function checkSku(field: string, value: string): void {
  if (value.length === 0) throw invalidArgument(field, "required");
  if (!SKU.test(value)) throw invalidArgument(field, "must be 1-64 characters of [A-Za-z0-9._:-]");
}

export function checkEnum(field: string, value: number, allowed: readonly number[]): void {
  if (!allowed.includes(value)) throw invalidArgument(field, `unknown value ${value}`);
}

export function checkOrderId(field: string, value: string): void {
  if (value.length === 0) throw invalidArgument(field, "required");
  if (value.length > 128 || !printable(value)) {
    throw invalidArgument(field, "must be 1-128 printable characters");
  }
}

export function checkNumber(field: string, value: number, min: number, max: number): void {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw invalidArgument(field, `must be a number in [${min}, ${max}], got ${value}`);
  }
}
