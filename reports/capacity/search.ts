// The capacity search: the highest constant arrival rate whose run still meets the objective, by expanding
// an upper bracket and then bisecting. The probe (a simulation) is passed in, so the search is pure logic.

/**
 * The most a steady rate's backlog may grow a second, as a share of the rate, and still count as met
 * (workflows/capacity.ts, judge). A run whose orders pile up is past saturation even when its P99 is still
 * under the objective: over a 10 s step a server 15% short of the rate kept P99 under 2 s (promo-peak,
 * simulated, 1,242/s), and a longer peak would not. 3% is well above the noise of a steady run's in-flight
 * count (a slope within 0.3% of the rate at 876/s).
 */
export const MAX_BACKLOG_GROWTH = 0.03;

/** A backlog growth as the reports show it: a percentage of the rate a second, "-" when not measured. */
export function formatBacklogGrowth(growth: number | undefined): string {
  return growth === undefined ? "-" : `${(growth * 100).toFixed(1)}%`;
}

export interface Probe {
  rate: number;
  p99Ms: number;
  errorRate: number;
  /**
   * How fast orders piled up during the traffic, as a share of the rate (workflows/capacity.ts,
   * backlogGrowth); absent in probes judged before it.
   */
  backlogGrowth?: number;
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
