import type { Command } from "../command.ts";

/**
 * One line per subcommand: its name and summary for `rushhour --help`, and how to load it. Modules are
 * loaded only when their command runs, because some pull in heavy dependencies (jsdom and d3 for the
 * reports, clinic for profile) that would otherwise cost every `rushhour serve` start seconds.
 * test/cli/commands.test.ts checks each entry against the module it loads.
 */
export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
}

/** Every subcommand, in the order `rushhour --help` lists them. Only commands that work are listed. */
export const commands: CommandEntry[] = [
  {
    name: "serve",
    summary: "run the live dispatch server (gRPC Dispatch + Admin, health, reflection, /metrics)",
    load: async () => (await import("./serve.ts")).serveCommand,
  },
  {
    name: "providers",
    summary: "run a farm of simulated providers (ProviderService over gRPC)",
    load: async () => (await import("./providers.ts")).providersCommand,
  },
  {
    name: "sim",
    summary: "simulate a scenario in virtual time (baseline vs candidate, with confidence intervals)",
    load: async () => (await import("./sim.ts")).simCommand,
  },
  {
    name: "load",
    summary: "replay a scenario against a live server (open-model load driver, RunResult out)",
    load: async () => (await import("./load.ts")).loadCommand,
  },
  {
    name: "traffic",
    summary:
      "chart an order log (rate, tier mix, top SKUs over time) and write its per-minute demand history",
    load: async () => (await import("./traffic.ts")).trafficCommand,
  },
  {
    name: "suite",
    summary: "run every scenario in a folder (simulated and/or live) and write one report with an index",
    load: async () => (await import("./suite.ts")).suite,
  },
  {
    name: "report",
    summary: "turn RunResult files into an HTML report, PNG charts, summary.md and summary.json",
    load: async () => (await import("./report.ts")).report,
  },
  {
    name: "merge",
    summary:
      "join the partial RunResults of a sharded run (load --segment, sim --shard) exactly, or a sharded capacity search or tune run",
    load: async () => (await import("./merge.ts")).mergeCommand,
  },
  {
    name: "compare",
    summary: "compare a baseline run with a candidate: better, worse or no significant change",
    load: async () => (await import("./compare.ts")).compare,
  },
  {
    name: "gate",
    summary:
      "fail (exit 1) on a significant P99 or goodput regression or a failed threshold; JUnit XML for CI",
    load: async () => (await import("./gate.ts")).gate,
  },
  {
    name: "capacity",
    summary: "highest arrival rate meeting the P99 objective (simulated search, live check) and a USL fit",
    load: async () => (await import("./capacity.ts")).capacity,
  },
  {
    name: "tune",
    summary: "search a space of configurations in simulation for the best one, with paired CIs as proof",
    load: async () => (await import("./tune.ts")).tuneCommand,
  },
  {
    name: "calibrate",
    summary:
      "measure a deployment (CPU per order, store and provider timings) and write a calibration profile",
    load: async () => (await import("./calibrate.ts")).calibrateCommand,
  },
  {
    name: "twin",
    summary: "run a scenario simulated (calibrated) and live and compare them against tolerances",
    load: async () => (await import("./twin.ts")).twinCommand,
  },
  {
    name: "profile",
    summary: "profile rushhour serve under clinic (doctor|flame) while a scenario's load runs",
    load: async () => (await import("./profile.ts")).profileCommand,
  },
  {
    name: "demo",
    summary:
      "the main job on the embedded defaults: simulated suite (legacy vs adaptive), a short live run, a report",
    load: async () => (await import("./demo.ts")).demo,
  },
];
