// Holt-Winters additive (triple exponential smoothing) on per-minute demand. Pure arithmetic.
//   level_t  = alpha (x_t - season_{t-m}) + (1 - alpha)(level_{t-1} + trend_{t-1})
//   trend_t  = beta (level_t - level_{t-1}) + (1 - beta) trend_{t-1}
//   season_t = gamma (x_t - level_t) + (1 - gamma) season_{t-m}
//   forecast(h) = level + h trend + season_{t+h-m}
// Initialisation (Hyndman & Athanasopoulos): with two full seasons, level = mean of the first,
// trend = (mean of the second - mean of the first) / m, season_i = x_i - level; with less history,
// trend = 0 and the seasonal terms come from what there is.

export class HoltWinters {
  private level = 0;
  private trend = 0;
  private readonly season: Float64Array;
  /** Observations consumed. */
  count = 0;

  constructor(
    readonly seasonLength: number,
    private alpha: number,
    private beta: number,
    private gamma: number,
  ) {
    this.season = new Float64Array(seasonLength);
  }

  setSmoothing(alpha: number, beta: number, gamma: number): void {
    this.alpha = alpha;
    this.beta = beta;
    this.gamma = gamma;
  }

  /** Fits on a series (oldest first), replacing any earlier state. */
  fit(series: readonly number[]): void {
    const m = this.seasonLength;
    this.season.fill(0);
    this.level = 0;
    this.trend = 0;
    this.count = 0;
    if (series.length === 0) return;
    const first = Math.min(m, series.length);
    let sum1 = 0;
    for (let i = 0; i < first; i++) sum1 += series[i]!;
    this.level = sum1 / first;
    if (series.length >= 2 * m) {
      let sum2 = 0;
      for (let i = m; i < 2 * m; i++) sum2 += series[i]!;
      this.trend = (sum2 / m - this.level) / m;
      // The first season's mean sits at its middle; move the level to its end.
      this.level += this.trend * ((m - 1) / 2);
      for (let i = 0; i < m; i++) this.season[i] = series[i]! - (this.level - this.trend * (m - 1 - i));
    } else {
      for (let i = 0; i < first; i++) this.season[i] = series[i]! - this.level;
    }
    this.count = first;
    for (let i = first; i < series.length; i++) this.update(series[i]!);
  }

  /** Adds the next observation. */
  update(x: number): void {
    if (this.count === 0) {
      this.level = x;
      this.count = 1;
      return;
    }
    const i = this.count % this.seasonLength;
    const previous = this.level;
    const s = this.season[i]!;
    this.level = this.alpha * (x - s) + (1 - this.alpha) * (this.level + this.trend);
    this.trend = this.beta * (this.level - previous) + (1 - this.beta) * this.trend;
    this.season[i] = this.gamma * (x - this.level) + (1 - this.gamma) * s;
    this.count++;
  }

  /** Forecast `h` >= 1 steps ahead (never below 0: demand is a count). */
  forecast(h: number): number {
    if (this.count === 0) return 0;
    const i = (this.count + h - 1) % this.seasonLength;
    return Math.max(0, this.level + h * this.trend + this.season[i]!);
  }

  /** The largest forecast over the next `horizon` steps. */
  peak(horizon: number): number {
    let best = 0;
    for (let h = 1; h <= horizon; h++) best = Math.max(best, this.forecast(h));
    return best;
  }
}
