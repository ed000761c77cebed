// Root-cause pushes (`rushhour serve --notify URL`): each incident the core opens (a provider isolated, the
// retry budget exhausted, the overflow route flapping) or closes (the provider readmitted, retries allowed
// again, the route stable again; server/core/incidents.ts) is POSTed as JSON to one or more webhooks. Dispatch never waits on it:
// push() only appends to a bounded in-memory outbox (the oldest entry is dropped, and counted, when full);
// one sender loop drains it with a timeout per POST and bounded retries with backoff. The body holds the
// incident only: no admin token, no client token, nothing from any request's metadata.
import { EventEmitter } from "node:events";
import type { IncidentKind, IncidentRecord } from "./core/types.ts";

export const NOTIFY_FORMATS = ["json", "slack", "wecom", "feishu"] as const;
export type NotifyFormat = (typeof NOTIFY_FORMATS)[number];

export interface NotifyOptions {
  urls: string[];
  format: NotifyFormat;
  /** Per POST (default 5000). */
  timeoutMs?: number;
  /** Tries per URL and incident (default 4). */
  maxAttempts?: number;
  /** First wait between tries, doubled each time, at most 30 s (default 500). */
  backoffMs?: number;
  /** Outbox size (default 100). */
  capacity?: number;
}

/** What a push says happened: an incident kind's opening or its closing. */
export type PushKind =
  | "isolation"
  | "readmission"
  | "retry-budget-exhausted"
  | "retry-budget-restored"
  | "overflow-flapping"
  | "overflow-settled";

const PUSH_KINDS: Record<IncidentKind, { opened: PushKind; closed: PushKind }> = {
  isolation: { opened: "isolation", closed: "readmission" },
  "retry-budget": { opened: "retry-budget-exhausted", closed: "retry-budget-restored" },
  "overflow-flapping": { opened: "overflow-flapping", closed: "overflow-settled" },
};

export interface IncidentPush {
  kind: PushKind;
  /** The incident's kind; `provider` is its subject ("retry-budget", "overflow-route") for the non-provider kinds. */
  incident: IncidentKind;
  incidentId: string;
  provider: string;
  openedAt: string;
  closedAt: string | null;
  ordersDiverted: number;
  ordersRetried: number;
  outcome: string | null;
  likelyCause: string;
  timeline: { at: string; what: string }[];
}

export interface NotifierStats {
  sent: number;
  /** Pushes given up on after every try (per URL). */
  failed: number;
  /** Pushes dropped from a full outbox. */
  dropped: number;
  queued: number;
}

/** A bad --notify value. */
export class NotifyUrlError extends Error {}

/** Only absolute http(s) URLs. */
export function parseNotifyUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new NotifyUrlError(`"${value}" is not a URL (want http://... or https://...)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new NotifyUrlError(`"${value}" must be an http:// or https:// URL`);
  }
  return url.toString();
}

/** The push of one incident event; times as ISO strings through `toUnixMs` (core times are the env's). */
export function incidentPush(incident: IncidentRecord, toUnixMs: (t: number) => number): IncidentPush {
  const iso = (t: number) => new Date(toUnixMs(t)).toISOString();
  const kind = incident.kind ?? "isolation";
  return {
    kind: incident.closedAt === null ? PUSH_KINDS[kind].opened : PUSH_KINDS[kind].closed,
    incident: kind,
    incidentId: incident.id,
    provider: incident.providerId,
    openedAt: iso(incident.openedAt),
    closedAt: incident.closedAt === null ? null : iso(incident.closedAt),
    ordersDiverted: incident.ordersDiverted,
    ordersRetried: incident.ordersRetried,
    outcome: incident.outcome,
    likelyCause: likelyCause(incident),
    timeline: incident.timeline.map((t) => ({ at: iso(t.at), what: t.what })),
  };
}

/**
 * The most frequent failure detail on the timeline (isolation, retry budget), else the reason of the
 * transition that isolated it, or (flapping) what the opening entry found.
 */
function likelyCause(incident: IncidentRecord): string {
  if (incident.kind === "overflow-flapping") {
    const first = incident.timeline[0]?.what ?? "";
    return first === "" ? "unknown" : first;
  }
  const counts = new Map<string, number>();
  for (const t of incident.timeline) {
    if (t.what.startsWith("failure: ")) {
      const detail = t.what.slice("failure: ".length);
      counts.set(detail, (counts.get(detail) ?? 0) + 1);
    }
  }
  let best: [string, number] | null = null;
  for (const entry of counts) if (best === null || entry[1] > best[1]) best = entry;
  if (best !== null) return `${best[0]} (${best[1]} failure${best[1] === 1 ? "" : "s"})`;
  const isolated = incident.timeline.find((t) => t.what.includes("-> ISOLATED"));
  const reason = isolated?.what.split(": ").slice(1).join(": ");
  return reason === undefined || reason === "" ? "unknown" : reason;
}

const HEADS: Record<PushKind, (push: IncidentPush) => string> = {
  isolation: (p) => `provider ${p.provider} ISOLATED at ${p.openedAt}`,
  readmission: (p) => `provider ${p.provider} readmitted at ${p.closedAt}`,
  "retry-budget-exhausted": (p) => `retry budget exhausted at ${p.openedAt}: failed orders get no retry`,
  "retry-budget-restored": (p) => `retries allowed again at ${p.closedAt}`,
  "overflow-flapping": (p) => `overflow route flapping since ${p.openedAt}`,
  "overflow-settled": (p) => `overflow route stable again at ${p.closedAt}`,
};

function summary(push: IncidentPush): string {
  const outcome = push.outcome === null ? "" : `: ${push.outcome}`;
  const head = `rushhour: ${HEADS[push.kind](push)} (${push.incidentId})${outcome}`;
  const lines = push.timeline.slice(-10).map((t) => `- ${t.at} ${t.what}`);
  return [head, `likely cause: ${push.likelyCause}`, "timeline:", ...lines].join("\n");
}

/** The request body for a webhook flavour. */
export function formatPush(push: IncidentPush, format: NotifyFormat): unknown {
  switch (format) {
    case "json":
      return push;
    case "slack":
      return { text: summary(push) };
    case "wecom":
      return { msgtype: "markdown", markdown: { content: summary(push) } };
    case "feishu":
      return { msg_type: "text", content: { text: summary(push) } };
  }
}

/** Emits "sent", "failed" and "dropped" (with the push) as they happen. */
export class Notifier extends EventEmitter {
  readonly stats: NotifierStats = { sent: 0, failed: 0, dropped: 0, queued: 0 };
  private readonly outbox: IncidentPush[] = [];
  private readonly stop = new AbortController();
  private wake: (() => void) | null = null;
  private failing = false;
  private readonly loop: Promise<void>;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  private readonly capacity: number;

  constructor(
    private readonly options: NotifyOptions,
    private readonly log: (line: string) => void,
  ) {
    super();
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.maxAttempts = options.maxAttempts ?? 4;
    this.backoffMs = options.backoffMs ?? 500;
    this.capacity = options.capacity ?? 100;
    this.loop = this.run();
  }

  /** Never blocks and never throws: the caller is the dispatch path. */
  push(push: IncidentPush): void {
    if (this.stop.signal.aborted) return;
    if (this.outbox.length >= this.capacity) {
      const dropped = this.outbox.shift();
      this.stats.dropped++;
      this.emit("dropped", dropped);
    }
    this.outbox.push(push);
    this.stats.queued = this.outbox.length;
    this.wake?.();
  }

  /** Stops the sender; a POST in flight is aborted and what is left in the outbox is not sent. */
  async close(): Promise<void> {
    this.stop.abort();
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stop.signal.aborted) {
      const next = this.outbox.shift();
      this.stats.queued = this.outbox.length;
      if (next === undefined) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = null;
        continue;
      }
      const body = JSON.stringify(formatPush(next, this.options.format));
      for (const url of this.options.urls) {
        if (this.stop.signal.aborted) return;
        if (await this.deliver(url, body)) {
          this.stats.sent++;
          this.emit("sent", next);
        } else if (!this.stop.signal.aborted) {
          this.stats.failed++;
          this.emit("failed", next);
        }
      }
    }
  }

  /** Tries one POST up to maxAttempts times; logs once when a run of failures starts and once when it ends. */
  private async deliver(url: string, body: string): Promise<boolean> {
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (this.stop.signal.aborted) return false;
      let problem: string;
      // One controller per attempt, aborted by a timer of our own and by close(). Not AbortSignal.timeout()
      // combined through AbortSignal.any(): Node's timeout timer holds its signal only weakly, so a collection
      // loses the abort and a POST to a receiver that never answers stays pending for good
      // (test/server/notify-timeout-gc.test.ts). The timer is unref'd, as AbortSignal.timeout's is.
      const attemptSignal = new AbortController();
      const abort = () => attemptSignal.abort(new Error(`no answer within ${this.timeoutMs} ms`));
      const timer = setTimeout(abort, this.timeoutMs);
      timer.unref();
      const onStop = () => attemptSignal.abort(this.stop.signal.reason);
      this.stop.signal.addEventListener("abort", onStop, { once: true });
      try {
        const res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
          signal: attemptSignal.signal,
        });
        // The body is not needed; reading it frees the connection.
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          if (this.failing) this.log(`--notify: ${redact(url)} answers again`);
          this.failing = false;
          return true;
        }
        problem = `HTTP ${res.status}`;
      } catch (err) {
        const cause = (err as { cause?: { message?: string } }).cause?.message;
        problem = cause ?? (err as Error).message;
      } finally {
        clearTimeout(timer);
        this.stop.signal.removeEventListener("abort", onStop);
      }
      if (!this.failing && !this.stop.signal.aborted) {
        this.log(`--notify: POST to ${redact(url)} failed (${problem}); retrying with backoff`);
        this.failing = true;
      }
      if (attempt < this.maxAttempts) await this.sleep(Math.min(this.backoffMs * 2 ** (attempt - 1), 30_000));
    }
    return false;
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.stop.signal;
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
      signal.addEventListener("abort", done, { once: true });
    });
  }
}

/** Webhook URLs often carry their secret in the path or query: logs show the origin only. */
function redact(url: string): string {
  return new URL(url).origin;
}
