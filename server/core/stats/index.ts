// Pure statistics shared by the canary judge and `rushhour compare`.
export { type BootstrapCi, bootstrapPercentileDiffCi } from "./bootstrap.ts";
export { type MannWhitneyResult, mannWhitneyU } from "./mann-whitney.ts";
export { erfc, normalCdf, twoSidedP } from "./normal.ts";
export { percentile, percentileSorted } from "./percentile.ts";
