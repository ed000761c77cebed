// Server events (AdminService.WatchEvents) as RunResult events, timed from the run's start.
import { EventKind, type WatchEventsResponse } from "../proto/gen/rushhour/v1/admin.ts";
import type { RunEvent } from "../results/run-result.ts";
import { healthName } from "./series.ts";

export function eventFromServer(e: WatchEventsResponse, startEpochMs: number): RunEvent | null {
  const t = Math.max(0, (e.timeUnixMs - startEpochMs) / 1000);
  switch (e.kind) {
    case EventKind.EVENT_KIND_HEALTH_TRANSITION: {
      const h = e.healthTransition;
      if (!h) return null;
      const from = healthName(h.from);
      const to = healthName(h.to);
      return {
        t,
        kind: "health",
        message: `${h.providerId} ${from} -> ${to}: ${h.reason}`,
        providerId: h.providerId,
        from,
        to,
      };
    }
    case EventKind.EVENT_KIND_ROUTE_SWITCH: {
      const r = e.routeSwitch;
      if (!r) return null;
      return {
        t,
        kind: "route",
        message: `overflow to backup ${r.overflowActive ? "on" : "off"} (primary load ${r.primaryLoad.toFixed(2)})`,
        data: { overflowActive: r.overflowActive, primaryLoad: r.primaryLoad },
      };
    }
    case EventKind.EVENT_KIND_HOT_SKU: {
      const s = e.hotSku;
      if (!s) return null;
      return {
        t,
        kind: "hot-sku",
        message: `${s.sku} is hot (${(s.share * 100).toFixed(1)}% of orders)`,
        data: { sku: s.sku, share: s.share },
      };
    }
    case EventKind.EVENT_KIND_INCIDENT: {
      const i = e.incident;
      if (!i) return null;
      return {
        t,
        kind: "incident",
        message: `incident ${i.incidentId} on ${i.providerId}${i.outcome ? `: ${i.outcome}` : " opened"}`,
        providerId: i.providerId,
        data: { incidentId: i.incidentId, ordersDiverted: i.ordersDiverted, ordersRetried: i.ordersRetried },
      };
    }
    default:
      return null;
  }
}
