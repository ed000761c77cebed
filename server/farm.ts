// `rushhour providers`: a farm of simulated providers behind the ProviderService, so live runs make
// real network calls with real timeouts.
import { ProviderServiceService } from "../proto/gen/rushhour/v1/provider.ts";
import { providerService } from "./grpc/provider/service.ts";
import { addHealth, addReflection, bindServer, createGrpcServer } from "./grpc/server.ts";
import { LocalProviders } from "./providers/local.ts";
import type { ProviderModel } from "./providers/model.ts";
import { RealtimeEnvironment } from "./realtime-env.ts";

export interface FarmOptions {
  host: string;
  port: number;
  models: ProviderModel[];
  seed?: number;
}

export interface RunningFarm {
  address: string;
  port: number;
  providers: LocalProviders;
  close(): Promise<void>;
}

export async function startProviderFarm(options: FarmOptions): Promise<RunningFarm> {
  const env = new RealtimeEnvironment(options.seed ?? 7);
  const providers = new LocalProviders(options.models, env);
  const server = createGrpcServer();
  server.addService(ProviderServiceService, providerService(providers));
  addHealth(server, ["rushhour.v1.ProviderService"]);
  addReflection(server, ["rushhour/v1/provider.proto"]);
  const port = await bindServer(server, options.host, options.port);
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    address: `${host}:${port}`,
    port,
    providers,
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
