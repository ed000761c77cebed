// A fixed piece of work of the same kind as the core's (small objects, closures, Map lookups by
// string key). Timed between a bench's samples, it shows how fast this shared machine was at each
// moment: the same work takes up to twice as long when other tenants are busy, and a bench figure
// that moved with it moved with the machine, not with the code.
const KEYS = Array.from({ length: 1024 }, (_, i) => `k${i}`);
let sink = 0;

/** Milliseconds the fixed work took now. */
export function referenceMs(): number {
  const t0 = performance.now();
  const m = new Map<string, { n: number; next: () => number }>();
  let x = 0;
  for (let i = 0; i < 50_000; i++) {
    const o = { n: i, next: () => o.n + 1 };
    m.set(KEYS[i & 1023]!, o);
    x += m.get(KEYS[(i * 7) & 1023]!)?.next() ?? 0;
  }
  sink ^= x;
  return performance.now() - t0 + (sink === 0.5 ? 1 : 0); // sink keeps the loop from being optimised away
}
