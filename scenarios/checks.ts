// Checks for the live driver's hand-validated options (live block, topology, chaos): each pushes
// "path: message" so a validator collects every error. Durations are checked by traffic/duration.ts.

/** Pushes an error unless `value` is an integer in [min, max]. */
export function checkInt(errors: string[], path: string, value: unknown, min: number, max = Infinity): void {
  if (typeof value !== "number" || !Number.isInteger(value)) errors.push(`${path}: must be an integer`);
  else if (value < min || value > max) {
    errors.push(`${path}: must be ${max === Infinity ? `>= ${min}` : `in [${min}, ${max}]`}, got ${value}`);
  }
}

/** Pushes an error unless `value` is a finite number >= min. */
export function checkNumber(errors: string[], path: string, value: unknown, min: number): void {
  if (typeof value !== "number" || !Number.isFinite(value)) errors.push(`${path}: must be a number`);
  else if (value < min) errors.push(`${path}: must be >= ${min}, got ${value}`);
}
