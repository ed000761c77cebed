// Validates a FaultSpec from the Admin or Provider API into a fault the providers understand.
import type { FaultSpec } from "../../proto/gen/rushhour/v1/common.ts";
import type { FaultInput } from "../providers/faults.ts";
import { faultKindFromProto } from "./convert.ts";
import { invalidArgument } from "./status.ts";
import { checkNumber } from "./validate.ts";

export function faultFromRequest(
  spec: FaultSpec | undefined,
  knownProvider: (id: string) => boolean,
): FaultInput {
  if (spec === undefined) throw invalidArgument("fault", "required");
  const kind = faultKindFromProto(spec.kind);
  if (kind === undefined)
    throw invalidArgument("fault.kind", `must be TIMEOUT, ERROR, LATENCY or BLACKHOLE, got ${spec.kind}`);
  if (spec.providerId !== "" && !knownProvider(spec.providerId)) {
    throw invalidArgument("fault.provider_id", `unknown provider ${JSON.stringify(spec.providerId)}`);
  }
  checkNumber("fault.probability", spec.probability, 0, 1);
  checkNumber("fault.latency_ms", spec.latencyMs, 0, 600_000);
  checkNumber("fault.duration_ms", spec.durationMs, 0, 86_400_000);
  if (kind === "latency" && spec.latencyMs === 0)
    throw invalidArgument("fault.latency_ms", "must be > 0 for LATENCY");
  return {
    providerId: spec.providerId,
    kind,
    probability: spec.probability,
    latencyMs: spec.latencyMs,
    durationMs: spec.durationMs,
  };
}
