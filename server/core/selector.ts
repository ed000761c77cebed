// Provider choice.
// - "round-robin" (legacy): the next provider in turn, blind to health; a timing-out provider keeps
//   getting its full share.
// - "health-weighted": two random candidates drawn in proportion to health weight (stream
//   "provider-choice"), the one with fewer outstanding calls wins (power of two choices). At low
//   load the share follows the weights; under load the least-outstanding rule spreads the work.
//   ISOLATED and PROBING providers (weight 0) get nothing; if every weight is 0 (cannot happen while
//   the board never isolates all), the least-outstanding provider is used.
import type { RandomStream } from "./env.ts";
import type { HealthBoard, ProviderHealth } from "./health.ts";

export class ProviderSelector {
  private cursor = 0;
  private readonly weights: Float64Array;
  private total = 0;
  /**
   * The board version the weights were computed at, and whether a provider was ramping then. Weights
   * only change on a health change or during a slow start, so between those they are reused rather
   * than recomputed for every order.
   */
  private weighedVersion = -1;
  private weighedRamping = false;
  private weighedAt = Number.NaN;

  constructor(
    private readonly board: HealthBoard,
    private readonly rng: RandomStream,
  ) {
    this.weights = new Float64Array(board.providers.length);
  }

  choose(mode: "round-robin" | "health-weighted", now: number): ProviderHealth | undefined {
    const providers = this.board.providers;
    const n = providers.length;
    if (n === 0) return undefined;
    if (mode === "round-robin") {
      const p = providers[this.cursor % n]!;
      this.cursor = (this.cursor + 1) % n;
      return p;
    }
    if (this.weighedVersion !== this.board.version || (this.weighedRamping && now !== this.weighedAt)) {
      this.weigh(now);
    }
    const total = this.total;
    if (total <= 0) {
      let best = providers[0]!;
      for (const p of providers) if (p.outstanding < best.outstanding) best = p;
      return best;
    }
    const a = this.pick(total);
    const b = this.pick(total);
    const pa = providers[a]!;
    const pb = providers[b]!;
    // Outstanding per unit of weight, so a slow-starting provider is not flooded at once.
    return (pb.outstanding + 1) / this.weights[b]! < (pa.outstanding + 1) / this.weights[a]! ? pb : pa;
  }

  private weigh(now: number): void {
    const providers = this.board.providers;
    let total = 0;
    let ramping = false;
    for (let i = 0; i < providers.length; i++) {
      const p = providers[i]!;
      const w = this.board.weight(p, now);
      this.weights[i] = w;
      total += w;
      if (this.board.ramping(p, now)) ramping = true;
    }
    this.total = total;
    this.weighedVersion = this.board.version;
    this.weighedRamping = ramping;
    this.weighedAt = now;
  }

  private pick(total: number): number {
    let r = this.rng.next() * total;
    const n = this.weights.length;
    for (let i = 0; i < n; i++) {
      const w = this.weights[i]!;
      if (r < w) return i;
      r -= w;
    }
    for (let i = n - 1; i >= 0; i--) if (this.weights[i]! > 0) return i;
    return 0;
  }
}
