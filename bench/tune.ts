// `rushhour tune` benchmarks (issue 15), measured in one run:
// 1. the planted problem (scenarios/tune/planted-workers.ts, known best 45 primary workers): how many of 10
//    seeds land within one step (5 workers) of it with the default budget;
// 2. promo-peak with the 4-parameter space (scenarios/tune/promo-peak.space.json): wall time, candidates and
//    simulated runs per minute, the answer and its CI against adaptive;
// 3. the same design evaluated without racing (every candidate at the last rung's 6 replications): its runs,
//    its time, and whether it gives the same answer (the same best, or one the race's best is not
//    significantly worse than on the same seeds).
// RUSHHOUR_BENCH_TUNE_JOBS sets --jobs (default 2); RUSHHOUR_BENCH_TUNE_SKIP_FULL=1 skips part 3.
import { readFileSync } from "node:fs";
import { bootstrapDelta, verdictOf } from "../results/stats.ts";
import { loadScenario, type Scenario } from "../scenarios/define.ts";
import { presetConfig } from "../server/core/config.ts";
import { DEFAULT_BUDGET, type TuneOptions, type TuneResult, tune } from "../workflows/tune.ts";
import { checkSpace } from "../workflows/tune-space.ts";

const here = (p: string) => new URL(`../${p}`, import.meta.url).pathname;
const adaptive = presetConfig("adaptive")!;
const legacy = presetConfig("legacy")!;
const jobs = Number(process.env.RUSHHOUR_BENCH_TUNE_JOBS ?? 2);

function options(scenario: Scenario, spaceFile: string, seed?: number): TuneOptions {
  return {
    scenarios: [scenario],
    space: checkSpace(JSON.parse(readFileSync(here(spaceFile), "utf8")), adaptive, [scenario]),
    base: { name: "adaptive", config: adaptive },
    baseFile: { extends: "adaptive" },
    baseline: { name: "legacy", config: legacy },
    current: { name: "adaptive", config: adaptive },
    budget: DEFAULT_BUDGET,
    jobs,
    ...(seed !== undefined ? { seed } : {}),
  };
}

const values = (r: TuneResult) =>
  r.best
    ? Object.entries(r.best.values)
        .map(([p, v]) => `${p}=${v}`)
        .join(", ")
    : "none";

export async function run(): Promise<void> {
  const planted = await loadScenario(here("scenarios/tune/planted-workers.ts"));
  let hits = 0;
  const found: string[] = [];
  const t0 = performance.now();
  for (let seed = 1; seed <= 10; seed++) {
    const r = await tune({ ...options(planted, "scenarios/tune/planted-workers.space.json", seed), jobs: 1 });
    const w = Number(r.best?.values["cluster.primary.workers"]);
    if (Math.abs(w - 45) <= 5) hits++;
    found.push(String(w));
  }
  console.log(
    `planted-workers (known best 45, step 5), default budget ${DEFAULT_BUDGET}, seeds 1-10: ${hits}/10 within one step ` +
      `(found ${found.join(", ")}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  const promo = await loadScenario("promo-peak");
  const space = "scenarios/tune/promo-peak.space.json";
  const raced = await tune(options(promo, space));
  const n = raced.candidates.length;
  console.log(
    `promo-peak, 4 parameters, default budget, --jobs ${jobs}: ${raced.wallSeconds.toFixed(0)} s, ${n} candidates ` +
      `(${((n / raced.wallSeconds) * 60).toFixed(1)} candidates/min), ${raced.runs} runs (${((raced.runs / raced.wallSeconds) * 60).toFixed(1)} runs/min)`,
  );
  const b = raced.best;
  console.log(
    `  best ${values(raced)}: P99 ${b?.objective.toFixed(0)} ms against adaptive ${raced.arms.current.objective.toFixed(0)} ms, ` +
      `paired 95% CI of the change [${b?.vsCurrent.estimate.ci?.lo.toFixed(0)}, ${b?.vsCurrent.estimate.ci?.hi.toFixed(0)}] ms: ${b?.vsCurrent.verdict}`,
  );
  if (process.env.RUSHHOUR_BENCH_TUNE_SKIP_FULL === "1") return;
  const full = await tune({ ...options(promo, space), fullEvaluation: true });
  const fb = full.best;
  let same = "no answer";
  if (b && fb) {
    if (fb.id === b.id) same = "the same best candidate";
    else {
      // Both have 6 replications on the same seeds: is the race's best worse than the full evaluation's?
      const raceBest = full.candidates.find((c) => c.id === b.id)!;
      const seeds = raceBest.perRep.map((_, r) => r);
      const est = bootstrapDelta(
        fb === undefined
          ? []
          : full.candidates
              .find((c) => c.id === fb.id)!
              .perRep.map((value, r) => ({ seed: seeds[r]!, value })),
        raceBest.perRep.map((value, r) => ({ seed: seeds[r]!, value })),
      );
      same = `another best (#${fb.id} ${values(full)}, ${fb.objective.toFixed(0)} ms); the race's best is ${raceBest.objective.toFixed(0)} ms there, change ${verdictOf(est, "lower-is-better") === "worse" ? "significantly worse" : "not significantly worse"}`;
    }
  }
  console.log(
    `  without racing (every candidate at 6 replications): ${full.runs} runs in ${full.wallSeconds.toFixed(0)} s; racing used ${raced.runs} runs ` +
      `(${(100 * (1 - raced.runs / full.runs)).toFixed(0)}% fewer) and ${(100 * (1 - raced.wallSeconds / full.wallSeconds)).toFixed(0)}% less time for ${same}`,
  );
}
