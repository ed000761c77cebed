// The space-filling start of `rushhour tune`: a Latin hypercube over the unit cube (each dimension cut into n
// equal strata, one point per stratum, strata paired at random), mapped onto each parameter's grid or range.
// Seeded through the core's xoshiro128** stream (server/core/random.ts), so the same seed gives the same
// design. No maintained npm package for LHS or Sobol sequences is available here, hence these few lines.
import { hashString, Xoshiro128 } from "../../server/core/random.ts";

export interface Dimension {
  /** Grid values in order (a step, a list); else the continuous range. */
  grid?: readonly (number | string | boolean)[];
  range?: readonly [number, number];
}

/** n points of a Latin hypercube in [0,1)^d, point-major. */
export function latinHypercube(n: number, d: number, rng: Xoshiro128): number[][] {
  const points = Array.from({ length: n }, () => new Array<number>(d).fill(0));
  for (let j = 0; j < d; j++) {
    const perm = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const k = Math.floor(rng.next() * (i + 1));
      [perm[i], perm[k]] = [perm[k]!, perm[i]!];
    }
    for (let i = 0; i < n; i++) points[i]![j] = (perm[i]! + rng.next()) / n;
  }
  return points;
}

/** A unit coordinate onto one dimension: the grid cell it falls in, or the point of the range. */
export function mapUnit(u: number, dim: Dimension): number | string | boolean {
  if (dim.grid !== undefined)
    return dim.grid[Math.min(dim.grid.length - 1, Math.floor(u * dim.grid.length))]!;
  const [lo, hi] = dim.range!;
  return lo + u * (hi - lo);
}

/**
 * n distinct candidates: a Latin hypercube, with duplicates (a small grid cannot hold n distinct points in one
 * dimension) replaced by uniform draws while any are left to find; fewer than n when the space is smaller.
 */
export function designCandidates(
  n: number,
  dims: readonly Dimension[],
  seed: number,
): (number | string | boolean)[][] {
  const rng = new Xoshiro128(hashString("tune-design", seed >>> 0));
  const key = (p: readonly unknown[]) => JSON.stringify(p);
  const seen = new Set<string>();
  const out: (number | string | boolean)[][] = [];
  const take = (units: readonly number[]) => {
    const p = units.map((u, j) => mapUnit(u, dims[j]!));
    const k = key(p);
    if (seen.has(k)) return;
    seen.add(k);
    out.push(p);
  };
  for (const units of latinHypercube(n, dims.length, rng)) take(units);
  const size = dims.reduce((s, d) => s * (d.grid?.length ?? Number.POSITIVE_INFINITY), 1);
  for (let tries = 0; out.length < Math.min(n, size) && tries < 50 * n; tries++) {
    take(dims.map(() => rng.next()));
  }
  return out;
}
