// Universal Scalability Law (Gunther): X(N) = lambda N / (1 + alpha (N - 1) + beta N (N - 1)).
// alpha is contention (serialisation), beta coherency (crosstalk); throughput peaks at N* = sqrt((1 - alpha) / beta).

export interface UslPoint {
  /** Concurrency (virtual users, in-flight requests). */
  n: number;
  /** Throughput measured at that concurrency, per second. */
  x: number;
}

export interface UslFit {
  lambda: number;
  alpha: number;
  beta: number;
  /** Concurrency of peak throughput; Infinity when beta = 0 (no retrograde region). */
  nStar: number;
  /** Throughput the model predicts at N* (its asymptote lambda/alpha when beta = 0; Infinity with neither). */
  xMax: number;
  /** measured - predicted, per point, in input order. */
  residuals: number[];
  /** Coefficient of determination of the fit on throughput. */
  r2: number;
}

export function uslThroughput(fit: Pick<UslFit, "lambda" | "alpha" | "beta">, n: number): number {
  return (fit.lambda * n) / (1 + fit.alpha * (n - 1) + fit.beta * n * (n - 1));
}

/**
 * Fits the USL the classic way: lambda from the N = 1 measurement (the mean if repeated), then the linearised
 * form N / C(N) - 1 = alpha (N - 1) + beta N (N - 1), C(N) = X(N) / lambda, by least squares through the
 * origin. alpha and beta are clamped at 0 (a negative coefficient is measurement noise, not physics).
 */
export function fitUsl(points: readonly UslPoint[]): UslFit {
  const ones = points.filter((p) => p.n === 1);
  if (ones.length === 0) throw new Error("the USL fit needs a measurement at concurrency 1");
  const distinct = new Set(points.map((p) => p.n));
  if (distinct.size < 3) throw new Error("the USL fit needs at least 3 concurrency levels");
  const lambda = ones.reduce((a, p) => a + p.x, 0) / ones.length;
  if (!(lambda > 0)) throw new Error("throughput at concurrency 1 must be positive");

  let s11 = 0;
  let s12 = 0;
  let s22 = 0;
  let s1y = 0;
  let s2y = 0;
  for (const p of points) {
    if (p.n === 1 || p.x <= 0) continue;
    const y = p.n / (p.x / lambda) - 1;
    const x1 = p.n - 1;
    const x2 = p.n * (p.n - 1);
    s11 += x1 * x1;
    s12 += x1 * x2;
    s22 += x2 * x2;
    s1y += x1 * y;
    s2y += x2 * y;
  }
  const det = s11 * s22 - s12 * s12;
  let alpha = det !== 0 ? (s1y * s22 - s2y * s12) / det : 0;
  let beta = det !== 0 ? (s11 * s2y - s12 * s1y) / det : 0;
  if (alpha < 0) {
    alpha = 0;
    beta = s22 > 0 ? Math.max(0, s2y / s22) : 0;
  } else if (beta < 0) {
    beta = 0;
    alpha = s11 > 0 ? Math.max(0, s1y / s11) : 0;
  }
  const fit = { lambda, alpha, beta };
  const nStar = beta > 0 ? Math.sqrt(Math.max(0, 1 - alpha) / beta) : Number.POSITIVE_INFINITY;
  const residuals = points.map((p) => p.x - uslThroughput(fit, p.n));
  const mean = points.reduce((a, p) => a + p.x, 0) / points.length;
  const ssTot = points.reduce((a, p) => a + (p.x - mean) ** 2, 0);
  const ssRes = residuals.reduce((a, r) => a + r * r, 0);
  return {
    ...fit,
    nStar,
    // Without coherency cost the model's bound is lambda / alpha (Amdahl); with neither, it has none.
    xMax: Number.isFinite(nStar)
      ? uslThroughput(fit, nStar)
      : alpha > 0
        ? lambda / alpha
        : Number.POSITIVE_INFINITY,
    residuals,
    r2: ssTot > 0 ? 1 - ssRes / ssTot : 1,
  };
}
