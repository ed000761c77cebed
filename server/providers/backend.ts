// The providers a server dispatches to, local or remote, behind one face: the core's port, the
// provider ids, and fault injection for the Admin API.

import { Metadata } from "@grpc/grpc-js";
import type {
  ClearProviderFaultsResponse,
  InjectProviderFaultResponse,
} from "../../proto/gen/rushhour/v1/provider.ts";
import type { Environment } from "../core/env.ts";
import type { ProviderPort } from "../core/ports.ts";
import { faultKindToProto } from "./fault-kind.ts";
import { type Fault, FaultBook, type FaultInput } from "./faults.ts";
import { LocalProviders } from "./local.ts";
import type { ProviderModel } from "./model.ts";
import { RemoteProviders, type RemoteProvidersOptions } from "./remote.ts";

export interface ProviderBackend {
  readonly kind: "local" | "remote";
  readonly ids: string[];
  readonly port: ProviderPort;
  has(providerId: string): boolean;
  inject(fault: FaultInput): Promise<string>;
  clear(providerId: string): Promise<number>;
  activeFaults(providerId: string): Fault[];
  close(): void;
}

export function localBackend(
  models: ProviderModel[],
  env: Environment,
): ProviderBackend & { providers: LocalProviders } {
  const providers = new LocalProviders(models, env);
  return {
    kind: "local",
    providers,
    ids: providers.ids,
    port: providers,
    has: (id) => providers.has(id),
    inject: async (fault) => providers.inject(fault).id,
    clear: async (id) => providers.clear(id),
    activeFaults: (id) => providers.faults.active(id),
    close: () => {},
  };
}

/** Faults go to the farm(s); a local mirror answers activeFaults without a network call. */
export async function remoteBackend(
  addresses: string[],
  env: Environment,
  options: RemoteProvidersOptions = {},
): Promise<ProviderBackend> {
  const remote = await RemoteProviders.connect(addresses, options);
  const mirror = new FaultBook(() => env.now());
  const call = <T>(fn: (cb: (err: Error | null, res: T) => void) => void): Promise<T> =>
    new Promise((resolve, reject) => fn((err, res) => (err ? reject(err) : resolve(res))));
  const farmsFor = (providerId: string) =>
    remote.farms.filter((f) => providerId === "" || f.providers.some((p) => p.providerId === providerId));
  return {
    kind: "remote",
    ids: remote.ids,
    port: remote,
    has: (id) => remote.has(id),
    inject: async (fault) => {
      const spec = { ...fault, kind: faultKindToProto(fault.kind) };
      await Promise.all(
        farmsFor(fault.providerId).map((f) =>
          call<InjectProviderFaultResponse>((cb) =>
            f.client.injectProviderFault(
              { fault: spec },
              new Metadata(),
              { deadline: Date.now() + 5000 },
              cb,
            ),
          ),
        ),
      );
      return mirror.inject(fault).id;
    },
    clear: async (providerId) => {
      const results = await Promise.all(
        farmsFor(providerId).map((f) =>
          call<ClearProviderFaultsResponse>((cb) =>
            f.client.clearProviderFaults({ providerId }, new Metadata(), { deadline: Date.now() + 5000 }, cb),
          ),
        ),
      );
      mirror.clear(providerId);
      return results.reduce((sum, r) => sum + r.cleared, 0);
    },
    activeFaults: (id) => mirror.active(id),
    close: () => remote.close(),
  };
}
