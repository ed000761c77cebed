// What `rushhour tune` reports besides the best candidate: how much each parameter matters (a variance-based
// first-order index on the design's first rung), the Pareto front of objective against cost, and whether a
// live confirmation agrees with the simulated difference. Pure maths over numbers the workflow hands in.

/**
 * The share of the objective's variance explained by one parameter alone (the correlation ratio eta², a
 * first-order sensitivity index): group the points by the parameter's value (numeric values cut into at
 * most `bins` equal-count bins), then between-group variance over total variance. 0: no effect; 1: all of it.
 */
export function firstOrderIndex(
  xs: readonly (number | string | boolean)[],
  ys: readonly number[],
  bins = 5,
): number {
  const n = ys.length;
  if (n < 2) return Number.NaN;
  const m = ys.reduce((a, b) => a + b, 0) / n;
  const total = ys.reduce((a, y) => a + (y - m) ** 2, 0);
  if (total === 0) return 0;
  const groups = new Map<string, number[]>();
  const numeric = xs.every((x) => typeof x === "number");
  const distinct = new Set(xs.map(String)).size;
  let keyOf: (i: number) => string = (i) => String(xs[i]);
  if (numeric && distinct > bins) {
    const order = xs.map((_, i) => i).sort((a, b) => (xs[a] as number) - (xs[b] as number));
    const rank = new Array<number>(n);
    order.forEach((i, r) => {
      rank[i] = r;
    });
    keyOf = (i) => String(Math.floor((rank[i]! * bins) / n));
  }
  ys.forEach((y, i) => {
    const k = keyOf(i);
    const g = groups.get(k);
    if (g) g.push(y);
    else groups.set(k, [y]);
  });
  let between = 0;
  for (const g of groups.values()) {
    const gm = g.reduce((a, b) => a + b, 0) / g.length;
    between += g.length * (gm - m) ** 2;
  }
  return between / total;
}

export interface ParetoPoint {
  id: number;
  objective: number;
  cost: number;
}

/** The points no other point beats on both objective and cost (both lower is better), by cost. */
export function paretoFront(points: readonly ParetoPoint[]): ParetoPoint[] {
  const sorted = [...points].sort((a, b) => a.cost - b.cost || a.objective - b.objective || a.id - b.id);
  const front: ParetoPoint[] = [];
  let bestObjective = Number.POSITIVE_INFINITY;
  for (const p of sorted) {
    if (p.objective < bestObjective) {
      front.push(p);
      bestObjective = p.objective;
    }
  }
  return front;
}

export interface Agreement {
  /** Relative change recommended vs current, (rec - cur) / cur, simulated and live. */
  simulated: number;
  live: number;
  direction: boolean;
  /** Live change within a factor of two of the simulated one (same sign). */
  size: boolean;
  verdict: "agrees" | "agrees in direction only" | "disagrees";
}

/**
 * Does the live difference agree with the simulated one? In direction: both changes have the same sign (or
 * both are within `deadband` of zero, i.e. no change either way). Roughly in size: the live change is between
 * half and twice the simulated one.
 */
export function agreement(
  sim: { current: number; recommended: number },
  live: { current: number; recommended: number },
  deadband = 0.02,
): Agreement {
  const rel = (x: { current: number; recommended: number }) =>
    x.current === 0 ? 0 : (x.recommended - x.current) / x.current;
  const s = rel(sim);
  const l = rel(live);
  const flat = (x: number) => Math.abs(x) <= deadband;
  const direction = (flat(s) && flat(l)) || (!flat(s) && !flat(l) && Math.sign(s) === Math.sign(l));
  const size = direction && (flat(s) ? flat(l) : l / s >= 0.5 && l / s <= 2);
  return {
    simulated: s,
    live: l,
    direction,
    size,
    verdict: size ? "agrees" : direction ? "agrees in direction only" : "disagrees",
  };
}
