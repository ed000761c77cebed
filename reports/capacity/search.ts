// The capacity search: the highest constant arrival rate whose run still meets the objective, by expanding
// an upper bracket and then bisecting. The probe (a simulation) is passed in, so the search is pure logic.

export interface Probe {
  rate: number;
  p99Ms: number;
  errorRate: number;
  ok: boolean;
}

export interface SearchOptions {
  /** First rate tried (e.g. the scenario's peak). */
  start: number;
  /** Stop when the bracket is narrower than this fraction of its lower end. */
  tolerance: number;
  /** At most this many probes in all. */
  maxProbes: number;
}

export interface SearchResult {
  /** Highest rate that met the objective (0 if none did). */
  best: number;
  /** Lowest rate that missed it (Infinity if none did within the probes). */
  firstFailing: number;
  probes: Probe[];
}

export async function searchCapacity(
  probe: (rate: number) => Promise<Probe>,
  opts: SearchOptions,
): Promise<SearchResult> {
  const probes: Probe[] = [];
  const run = async (rate: number) => {
    const p = await probe(rate);
    probes.push(p);
    return p;
  };
  let lo = 0;
  let hi = Number.POSITIVE_INFINITY;
  let rate = opts.start;
  // Bracket: double up while passing, halve down while failing.
  while (probes.length < opts.maxProbes) {
    const p = await run(rate);
    if (p.ok) {
      lo = rate;
      if (hi !== Number.POSITIVE_INFINITY) break;
      rate *= 2;
    } else {
      hi = rate;
      if (lo > 0) break;
      rate /= 2;
      if (rate < 1) break;
    }
  }
  while (probes.length < opts.maxProbes && lo > 0 && Number.isFinite(hi) && (hi - lo) / lo > opts.tolerance) {
    const mid = (lo + hi) / 2;
    const p = await run(mid);
    if (p.ok) lo = mid;
    else hi = mid;
  }
  return { best: lo, firstFailing: hi, probes };
}
