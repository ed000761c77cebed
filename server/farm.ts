// `rushhour providers`: a farm of simulated providers (and optionally a risk service and a notification
// service) behind the ProviderService, so live runs make real network calls with real timeouts.
import { ProviderServiceService } from "../proto/gen/rushhour/v1/provider.ts";
import { providerService } from "./grpc/provider/service.ts";
import { addHealth, addReflection, bindServer, createGrpcServer } from "./grpc/server.ts";
import { LocalProviders } from "./providers/local.ts";
import type { ProviderModel, RiskModel } from "./providers/model.ts";
import { LocalStageServices } from "./providers/stage-services.ts";
import { RealtimeEnvironment } from "./realtime-env.ts";

export interface FarmOptions {
  host: string;
  port: number;
  models: ProviderModel[];
  /** The farm's risk service (CheckRisk), if any. */
  risk?: RiskModel;
  /** The farm's notification service (SendNotification), if any. */
  notification?: ProviderModel;
  seed?: number;
}

export interface RunningFarm {
  address: string;
  port: number;
  providers: LocalProviders;
  stages: LocalStageServices;
  close(): Promise<void>;
}

export async function startProviderFarm(options: FarmOptions): Promise<RunningFarm> {
  const env = new RealtimeEnvironment(options.seed ?? 7);
  const providers = new LocalProviders(options.models, env);
  const stages = new LocalStageServices(options, env, providers.faults);
  const server = createGrpcServer();
  server.addService(ProviderServiceService, providerService({ providers, stages }));
  addHealth(server, ["rushhour.v1.ProviderService"]);
  addReflection(server, ["rushhour/v1/provider.proto"]);
  const port = await bindServer(server, options.host, options.port);
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    address: `${host}:${port}`,
    port,
    providers,
    stages,
    close: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
