// The providers a server dispatches to, local or remote, behind one face: the core's port, the
// provider ids, and fault injection for the Admin API. The risk and notification services (when the
// spec or the farm has them) come with it: the core gets their ports, and faults reach them by id.

import { Metadata } from "@grpc/grpc-js";
import type {
  ClearProviderFaultsResponse,
  InjectProviderFaultResponse,
} from "../../proto/gen/rushhour/v1/provider.ts";
import type { Environment } from "../core/env.ts";
import type { NotifyPort, ProviderPort, RiskPort } from "../core/ports.ts";
import { faultKindToProto } from "./fault-kind.ts";
import { type Fault, FaultBook, type FaultInput } from "./faults.ts";
import { LocalProviders } from "./local.ts";
import type { ProviderModel, RiskModel } from "./model.ts";
import { RemoteProviders, type RemoteProvidersOptions } from "./remote.ts";
import { RemoteNotify, RemoteRisk } from "./remote-stages.ts";
import { LocalStageServices } from "./stage-services.ts";

export interface ProviderBackend {
  readonly kind: "local" | "remote";
  readonly ids: string[];
  readonly port: ProviderPort;
  /** The risk service, when the spec or a farm has one. */
  readonly risk?: { id: string; port: RiskPort };
  /** The notification service, when the spec or a farm has one. */
  readonly notify?: { id: string; port: NotifyPort };
  /** A provider's, or the risk or notification service's, id: what a fault may name. */
  has(providerId: string): boolean;
  inject(fault: FaultInput): Promise<string>;
  clear(providerId: string): Promise<number>;
  activeFaults(providerId: string): Fault[];
  close(): void;
}

export function localBackend(
  models: ProviderModel[],
  env: Environment,
  stagesSpec: { risk?: RiskModel; notification?: ProviderModel } = {},
): ProviderBackend & { providers: LocalProviders } {
  const providers = new LocalProviders(models, env);
  const stages = new LocalStageServices(stagesSpec, env, providers.faults);
  return {
    kind: "local",
    providers,
    ids: providers.ids,
    port: providers,
    ...(stages.risk === undefined ? {} : { risk: { id: stages.risk.id, port: stages.risk } }),
    ...(stages.notification === undefined
      ? {}
      : { notify: { id: stages.notification.id, port: stages.notification } }),
    has: (id) => providers.has(id) || stages.has(id),
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
    remote.farms.filter(
      (f) =>
        providerId === "" ||
        f.providers.some((p) => p.providerId === providerId) ||
        f.risk?.serviceId === providerId ||
        f.notification?.serviceId === providerId,
    );
  const { risk, notification } = remote;
  return {
    kind: "remote",
    ids: remote.ids,
    port: remote,
    ...(risk === undefined
      ? {}
      : {
          risk: {
            id: risk.info.serviceId,
            port: new RemoteRisk(risk.farm.client, risk.info.serviceId, remote.callDeadlineMs, options.trace),
          },
        }),
    ...(notification === undefined
      ? {}
      : {
          notify: {
            id: notification.info.serviceId,
            port: new RemoteNotify(
              notification.farm.client,
              notification.info.serviceId,
              remote.callDeadlineMs,
              options.trace,
            ),
          },
        }),
    has: (id) => remote.serves(id),
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
