import { CanaryDecision, type GetCanaryVerdictResponse } from "../../../proto/gen/rushhour/v1/admin.ts";
import type { ServerContext } from "../../context.ts";

const DECISIONS = {
  none: CanaryDecision.CANARY_DECISION_UNSPECIFIED,
  promote: CanaryDecision.CANARY_DECISION_PROMOTE,
  hold: CanaryDecision.CANARY_DECISION_HOLD,
  rollback: CanaryDecision.CANARY_DECISION_ROLLBACK,
} as const;

const finite = (x: number) => (Number.isFinite(x) ? x : 0);

export function getCanaryVerdict(ctx: ServerContext) {
  return async (): Promise<GetCanaryVerdictResponse> => {
    const v = ctx.dispatcher.canaryVerdict();
    return {
      canaryId: v.id ?? "",
      decision: DECISIONS[v.decision] ?? CanaryDecision.CANARY_DECISION_UNSPECIFIED,
      reason: v.reason,
      baselineCount: v.baselineCount,
      candidateCount: v.candidateCount,
      baselineP99Ms: finite(v.baselineP99Ms),
      candidateP99Ms: finite(v.candidateP99Ms),
      p99DeltaMs: finite(v.p99DeltaMs),
      p99DeltaCiLowMs: finite(v.p99DeltaCi[0] ?? 0),
      p99DeltaCiHighMs: finite(v.p99DeltaCi[1] ?? 0),
      mannWhitneyP: finite(v.mannWhitneyP),
      effectSize: finite(v.effectSize),
      baselineErrorRate: finite(v.baselineErrorRate),
      candidateErrorRate: finite(v.candidateErrorRate),
    };
  };
}
