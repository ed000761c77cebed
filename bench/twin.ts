// How far to trust the simulator, measured (issue 13's acceptance table): for the memory and the SQLite
// store, calibrate promo-peak on a local stack, find the saturation knee in simulation (bisection) and live
// (bisection of short live steps), then run `twin` at steady rates of 30, 60 and 85% of the live knee and
// print P50, P99, throughput and CPU peak, simulated against live, with their errors.
// Run: npm run bench -- twin. Env: BENCH_TWIN_STEP (seconds per step, default 10), BENCH_TWIN_REPS
// (simulated replications, default 3), BENCH_TWIN_STORES (default memory,sqlite), BENCH_TWIN_RATES
// (calibration rates, default 200,600,1000), BENCH_TWIN_OUT
// (profiles and twin reports, default out/bench/twin). Takes about 15 minutes at the defaults.
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { join, resolve } from "node:path";
import { searchCapacity } from "../reports/capacity/search.ts";
import { DEFAULT_TOLERANCES, formatError, type TwinRow } from "../reports/twin.ts";
import { loadScenario, withCalibrationFile } from "../scenarios/define.ts";
import { resolveArm } from "../workflows/arms.ts";
import { type CalibrateStore, calibrate, steadyScenario } from "../workflows/calibrate.ts";
import { confirmLive, objectiveOf, simulatedCapacity } from "../workflows/capacity.ts";
import { startScenarioStack } from "../workflows/scenario-stack.ts";
import { liveRunner } from "../workflows/suite.ts";
import { runTwin, writeTwinReport } from "../workflows/twin.ts";

const STEP_S = Number(process.env.BENCH_TWIN_STEP ?? 10);
const REPS = Number(process.env.BENCH_TWIN_REPS ?? 3);
const STORES = (process.env.BENCH_TWIN_STORES ?? "memory,sqlite").split(",") as CalibrateStore[];
const OUT = resolve(process.env.BENCH_TWIN_OUT ?? "out/bench/twin");
const RATES = (process.env.BENCH_TWIN_RATES ?? "200,600,1000").split(",").map(Number);
const SHARES = [0.3, 0.6, 0.85];

function cell(rows: TwinRow[], metric: TwinRow["metric"]): string[] {
  const r = rows.find((x) => x.metric === metric)!;
  const v = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
  return [v(r.simulated.mean), v(r.live), formatError(r)];
}

export async function run(): Promise<void> {
  console.log(
    `promo-peak's providers and cluster, adaptive, no faults; ${STEP_S} s steps, ${REPS} simulated replications; ` +
      `${availableParallelism()} cores, load average ${loadavg()[0]!.toFixed(1)} at start`,
  );
  mkdirSync(OUT, { recursive: true });
  const base = await loadScenario("promo-peak");
  const objective = objectiveOf(base);
  if (objective === undefined) throw new Error("promo-peak has no P99 objective");
  const arm = resolveArm(base);
  for (const store of STORES) {
    const profileFile = join(OUT, `calibration-${store}.json`);
    const profile = await calibrate({
      scenario: base,
      rates: RATES,
      stepMs: STEP_S * 1000,
      store,
      command: ["npm", "run", "bench", "--", "twin"],
    });
    writeFileSync(profileFile, `${JSON.stringify(profile, null, 2)}\n`);
    const perOrder = Object.values(profile.cpu.stageMs)
      .slice(0, 4)
      .reduce((a, b) => a + b, 0);
    console.log(
      `\n[${store}] calibrated: server ${perOrder.toFixed(3)} ms/order (RMS residual ${profile.cpu.rmsResidualMs.toFixed(3)}), ` +
        `driver ${profile.cpu.colocated?.driverMsPerOrder.toFixed(3)}, farm ${profile.cpu.colocated?.farmMsPerOrder.toFixed(3)} ms/order; ` +
        `claim ${profile.store.claimMs.toFixed(2)} ms; ${profileFile}`,
    );
    const scenario = withCalibrationFile(base, profileFile);
    const simKnee = await simulatedCapacity(scenario, {
      configName: arm.name,
      config: arm.config,
      objective,
      durationMs: STEP_S * 1000,
      replications: 1,
      tolerance: 0.02,
      maxProbes: 14,
    });
    const stack = await startScenarioStack(
      scenario,
      arm.config,
      store === "memory" ? { store: "memory:" } : {},
    );
    try {
      const live = liveRunner({
        arm: { ...arm, role: "single" },
        targets: [stack.target],
        adminToken: stack.adminToken,
      });
      const liveKnee = await searchCapacity(
        async (rate) => {
          const c = await confirmLive(scenario, rate, STEP_S, objective, live);
          return { rate, p99Ms: c.p99Ms, errorRate: c.errorRate, ok: c.ok };
        },
        { start: Math.max(50, simKnee.best), tolerance: 0.05, maxProbes: 7 },
      );
      const kneeError = liveKnee.best > 0 ? (simKnee.best - liveKnee.best) / liveKnee.best : Number.NaN;
      console.log(
        `[${store}] knee (P99 < ${objective.p99Ms} ms): simulated ${simKnee.best.toFixed(0)}/s, live ${liveKnee.best.toFixed(0)}/s, ` +
          `error ${(kneeError * 100).toFixed(1)}% (live probes: ${liveKnee.probes.map((p) => `${p.rate.toFixed(0)}/s ${p.ok ? "ok" : "miss"}`).join(", ")})`,
      );
      if (liveKnee.best <= 0) continue;
      const table = [
        [
          "rate/s",
          "P50 sim",
          "P50 live",
          "err",
          "P99 sim",
          "P99 live",
          "err",
          "tput sim",
          "tput live",
          "err",
          "CPU sim %",
          "CPU live %",
          "diff",
        ],
      ];
      for (const share of SHARES) {
        const rate = Math.round(liveKnee.best * share);
        const steady = steadyScenario(scenario, rate, STEP_S * 1000);
        const outcome = await runTwin(steady, {
          replications: REPS,
          tolerances: DEFAULT_TOLERANCES,
          command: ["npm", "run", "bench", "--", "twin"],
          targets: [stack.target],
          adminToken: stack.adminToken,
        });
        writeTwinReport(outcome, join(OUT, `${store}-${rate}`));
        const rows = outcome.report.rows;
        table.push([
          `${rate} (${share * 100}%)`,
          ...cell(rows, "p50"),
          ...cell(rows, "p99"),
          ...cell(rows, "throughput"),
          ...cell(rows, "cpu"),
        ]);
      }
      const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
      for (const r of table) console.log(r.map((c, i) => c.padStart(widths[i]!)).join("  "));
    } finally {
      await stack.stop();
    }
  }
}
