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

/** alpha and beta by least squares on the linearised form, for a given lambda; clamped at 0. */
function coefficientsFor(points: readonly UslPoint[], lambda: number): { alpha: number; beta: number } {
  let s11 = 0;
  let s12 = 0;
  let s22 = 0;
  let s1y = 0;
  let s2y = 0;
  for (const p of points) {
    if (p.n === 1 || p.x <= 0) continue;
    // N / C(N) - 1 = alpha (N - 1) + beta N (N - 1), C(N) = X(N) / lambda
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
  return { alpha, beta };
}

function sumSquares(points: readonly UslPoint[], lambda: number): number {
  const fit = { lambda, ...coefficientsFor(points, lambda) };
  return points.reduce((a, p) => a + (p.x - uslThroughput(fit, p.n)) ** 2, 0);
}

/**
 * Fits the USL by least squares on throughput. For each lambda, alpha and beta come from the linearised form
 * N / C(N) - 1 = alpha (N - 1) + beta N (N - 1) (C(N) = X(N) / lambda) through the origin, clamped at 0 (a
 * negative coefficient is noise, not physics); lambda itself is searched (log grid, then golden section) to
 * minimise the squared throughput residuals. Pinning lambda to the N = 1 measurement, the textbook shortcut,
 * lets one noisy warm-up run bend the whole curve.
 */
export function fitUsl(points: readonly UslPoint[]): UslFit {
  const distinct = new Set(points.map((p) => p.n));
  if (distinct.size < 3) throw new Error("the USL fit needs at least 3 concurrency levels");
  if (!points.some((p) => p.n === 1)) throw new Error("the USL fit needs a measurement at concurrency 1");
  const perUser = points.filter((p) => p.x > 0).map((p) => p.x / p.n);
  if (perUser.length === 0) throw new Error("no positive throughput to fit");
  const lo = Math.log(Math.min(...perUser) * 0.5);
  const hi = Math.log(Math.max(...perUser) * 2);
  const steps = 400;
  let best = lo;
  let bestSsr = Number.POSITIVE_INFINITY;
  for (let i = 0; i <= steps; i++) {
    const l = lo + ((hi - lo) * i) / steps;
    const ssr = sumSquares(points, Math.exp(l));
    if (ssr < bestSsr) {
      bestSsr = ssr;
      best = l;
    }
  }
  let a = best - (hi - lo) / steps;
  let b = best + (hi - lo) / steps;
  const phi = (Math.sqrt(5) - 1) / 2;
  for (let i = 0; i < 100 && b - a > 1e-13; i++) {
    const c = b - phi * (b - a);
    const d = a + phi * (b - a);
    if (sumSquares(points, Math.exp(c)) <= sumSquares(points, Math.exp(d))) b = d;
    else a = c;
  }
  const lambda = Math.exp((a + b) / 2);
  const { alpha, beta } = coefficientsFor(points, lambda);
  const fit = { lambda, alpha, beta };
  const nStar = beta > 0 ? Math.sqrt(Math.max(0, 1 - alpha) / beta) : Number.POSITIVE_INFINITY;
  const residuals = points.map((p) => p.x - uslThroughput(fit, p.n));
  const mean = points.reduce((acc, p) => acc + p.x, 0) / points.length;
  const ssTot = points.reduce((acc, p) => acc + (p.x - mean) ** 2, 0);
  const ssRes = residuals.reduce((acc, r) => acc + r * r, 0);
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
