import { FaultKind } from "../../proto/gen/rushhour/v1/common.ts";
import type { FaultKindName } from "./faults.ts";

const KINDS: Record<FaultKindName, FaultKind> = {
  timeout: FaultKind.FAULT_KIND_TIMEOUT,
  error: FaultKind.FAULT_KIND_ERROR,
  latency: FaultKind.FAULT_KIND_LATENCY,
  blackhole: FaultKind.FAULT_KIND_BLACKHOLE,
};

export const faultKindToProto = (kind: FaultKindName): FaultKind => KINDS[kind];

export function faultKindFromProto(kind: FaultKind): FaultKindName | undefined {
  return (Object.keys(KINDS) as FaultKindName[]).find((n) => KINDS[n] === kind);
}
