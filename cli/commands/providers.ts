// `rushhour providers`: a farm of simulated providers served over gRPC (ProviderService).
import { type RunningFarm, startProviderFarm } from "../../server/farm.ts";
import { defaultProviders, type FarmSpec } from "../../server/providers/model.ts";
import { ProviderSpecError, readProviderSpec } from "../../server/providers/spec-file.ts";
import { closeOnSignals } from "../../server/shutdown.ts";
import { parseCommandArgs } from "../args.ts";
import { type Command, EXIT, UsageError } from "../command.ts";
import { intFlag } from "./serve-options.ts";

const help = `Usage: rushhour providers [options]

Runs a farm of simulated card-issuing providers (ProviderService over gRPC: IssueCard, ListProviders,
InjectProviderFault, ClearProviderFaults). Each has a lognormal latency (p50/p99), a capacity and a base
error rate; faults (timeout, error, latency, blackhole) can be injected per provider.
A spec may add a risk service (CheckRisk: allow/deny/review at its shares) and a notification service
(SendNotification), each with the same latency model, capacity, errors and faults (named by their id);
\`rushhour serve --providers HOST:PORT\` uses them when the farm serves them.
When ready it prints one line:  rushhour providers listening on HOST:PORT

Options:
  --port N       gRPC port (default 50061; 0 picks a free port)
  --host H       address to bind (default 127.0.0.1)
  --count N      number of providers p1..pN with default models (default 4)
  --spec FILE    provider models, JSON: {"providers":[{"id","p50Ms","p99Ms","capacity","errorRate"}],
                 "risk":{"id"="risk","p50Ms","p99Ms","capacity","errorRate","denyRate","reviewRate"},
                 "notification":{"id"="notify","p50Ms","p99Ms","capacity","errorRate"}}
                 (risk and notification optional)
  --seed N       seed of the latency and fault streams (default 7)
  -h, --help     show this help

Exit codes: 0 stopped cleanly, 1 failed at run time, 2 bad usage.
`;

export const providersCommand: Command = {
  name: "providers",
  summary: "run a farm of simulated providers (ProviderService over gRPC)",
  help,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      port: { type: "string" },
      host: { type: "string" },
      count: { type: "string" },
      spec: { type: "string" },
      seed: { type: "string" },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    if (values.count !== undefined && values.spec !== undefined)
      throw new UsageError("give --count or --spec, not both");
    let spec: FarmSpec = { providers: defaultProviders(intFlag("count", values.count, 4, 1, 256)) };
    if (values.spec !== undefined) {
      try {
        spec = readProviderSpec(values.spec);
      } catch (err) {
        if (err instanceof ProviderSpecError) throw new UsageError(err.message);
        throw err;
      }
    }
    const host = values.host ?? "127.0.0.1";
    const port = intFlag("port", values.port, 50061, 0, 65535);
    const seed = intFlag("seed", values.seed, 7, 0, 2 ** 31 - 1);
    let farm: RunningFarm;
    try {
      farm = await startProviderFarm({
        host,
        port,
        models: spec.providers,
        risk: spec.risk,
        notification: spec.notification,
        seed,
      });
    } catch (err) {
      process.stderr.write(`rushhour providers: cannot start: ${(err as Error).message}\n`);
      return EXIT.failed;
    }
    const log = (line: string) => process.stderr.write(`rushhour providers: ${line}\n`);
    const served = [...spec.providers.map((m) => m.id), ...farm.stages.ids];
    process.stdout.write(`rushhour providers listening on ${farm.address} (${served.join(",")})\n`);
    await new Promise<never>(() => {
      closeOnSignals(() => farm.close(), log);
    });
    return EXIT.ok;
  },
};
