// A lean gRPC unary client over node:http2 for the load driver. grpc-js costs a client about twice the
// CPU per unary call of the HTTP/2 request itself (its resolving, retrying, load-balancing and
// subchannel call layers, filter stacks built on promises, metadata conversions); at thousands of
// orders per second that decides whether the driver or the server is the bottleneck. This speaks the
// gRPC wire protocol directly (length-prefixed messages, grpc-timeout, grpc-status trailers) for one
// method shape only: unary, no compression; plaintext, or TLS with a given CA (serve --tls-cert), and
// optionally a bearer token on every call (serve --client-tokens).
//
// Semantics kept from grpc-js as the driver relies on them: a target that is down fails calls fast
// with UNAVAILABLE (reconnecting in the background with capped backoff), a call past its deadline
// ends DEADLINE_EXCEEDED (the server is told the deadline through grpc-timeout as well), cancel()
// ends a call CANCELLED, and the server's status and message are passed through.

import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  constants,
  connect as h2Connect,
  type IncomingHttpHeaders,
} from "node:http2";
import { isIP, connect as netConnect } from "node:net";
import { performance } from "node:perf_hooks";
import { connect as tlsConnect } from "node:tls";

/** gRPC status codes used here (the numbers are the wire values). */
export const Code = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  DEADLINE_EXCEEDED: 4,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** Called once per call: code 0 with the response message bytes, or an error code and its message. */
export type UnaryCallback = (code: number, details: string, message: Buffer | null) => void;

export interface UnaryCall {
  cancel(): void;
}

/**
 * TLS from a client: the PEM CA the server's certificate must chain to, and for a server that asks for
 * client certificates (serve --tls-client-ca) a PEM certificate and key of our own.
 */
export interface ClientTls {
  ca: string;
  cert?: string;
  key?: string;
}

export interface UnaryChannelOptions {
  /** Longest wait between reconnection attempts to a target that is down. Default 1000 ms. */
  maxReconnectBackoffMs?: number;
  /** TLS to the target (plaintext without). */
  tls?: ClientTls;
  /** Sent as `authorization: Bearer <token>` on every call (serve --client-tokens). */
  bearerToken?: string;
}

const INITIAL_BACKOFF_MS = 100;

function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

/** grpc-timeout: at most 8 digits and a unit. */
function timeoutHeader(ms: number): string {
  const m = Math.max(1, Math.ceil(ms));
  return m < 100_000_000 ? `${m}m` : `${Math.ceil(m / 1000)}S`;
}

/** The gRPC status for an HTTP status that came without grpc-status (the gRPC HTTP mapping). */
function codeForHttp(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
      return Code.INTERNAL;
    case 401:
      return Code.UNAUTHENTICATED;
    case 403:
      return Code.PERMISSION_DENIED;
    case 404:
      return Code.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return Code.UNAVAILABLE;
    default:
      return Code.UNKNOWN;
  }
}

function decodeMessage(raw: unknown): string {
  if (typeof raw !== "string" || raw === "") return "";
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** One call in flight: the stream's state, kept in a plain object (no closures per event). */
class Pending implements UnaryCall {
  stream: ClientHttp2Stream | null = null;
  /** grpc-status when seen (trailers, or headers of a trailers-only answer); -1 before. */
  status = -1;
  details = "";
  httpStatus = 0;
  body: Buffer | null = null;
  /** Set when the call ended on our side (cancel, deadline, a connection that failed). */
  local = -1;
  localDetails = "";
  done = false;

  constructor(
    readonly path: string,
    public frame: Buffer | null,
    readonly deadline: number,
    readonly callback: UnaryCallback,
    /** A W3C traceparent for this call (load --trace), or null. */
    readonly traceparent: string | null = null,
  ) {}

  cancel(): void {
    this.endLocally(Code.CANCELLED, "Cancelled on client");
  }

  endLocally(code: number, details: string): void {
    // Once the server's status is in, the call has its outcome: a deadline or cancel after it is moot.
    if (this.done || this.local >= 0 || this.status >= 0) return;
    this.local = code;
    this.localDetails = details;
    // Never call back from inside call() or cancel(): the caller may not have stored the call yet.
    if (this.stream === null) queueMicrotask(() => this.finish());
    else this.stream.close(constants.NGHTTP2_CANCEL);
  }

  finish(rstCode = 0): void {
    if (this.done) return;
    this.done = true;
    this.stream = null;
    this.frame = null;
    const body = this.body;
    this.body = null;
    if (this.local >= 0) {
      this.callback(this.local, this.localDetails, null);
      return;
    }
    if (this.status === Code.OK) {
      // One length-prefixed message: a compressed flag byte (0: we ask for none) and a 4-byte length.
      if (body === null || body.length < 5) {
        this.callback(Code.INTERNAL, "No message received for a unary call", null);
      } else if (body[0] !== 0) {
        this.callback(Code.INTERNAL, "Compressed message received (not negotiated)", null);
      } else {
        this.callback(Code.OK, "", body.subarray(5, 5 + body.readUInt32BE(1)));
      }
      return;
    }
    if (this.status > 0) {
      this.callback(this.status, this.details, null);
      return;
    }
    if (this.httpStatus !== 0 && this.httpStatus !== 200) {
      this.callback(codeForHttp(this.httpStatus), `Received HTTP status code ${this.httpStatus}`, null);
      return;
    }
    // No status: the stream was reset or the connection dropped.
    if (rstCode === constants.NGHTTP2_ENHANCE_YOUR_CALM) {
      this.callback(Code.RESOURCE_EXHAUSTED, "Bandwidth exhausted or memory limit exceeded", null);
    } else if (rstCode === constants.NGHTTP2_CANCEL) {
      this.callback(Code.CANCELLED, "Call cancelled by the server", null);
    } else {
      // REFUSED_STREAM (never processed), a GOAWAY or a dropped connection: the target is unavailable.
      this.callback(Code.UNAVAILABLE, `Connection dropped (stream reset ${rstCode})`, null);
    }
  }
}

// Stream event handlers shared by every stream (the Pending travels on the stream): no closures per call.
const PENDING = Symbol("pending");
type Tagged = ClientHttp2Stream & { [PENDING]: Pending };

function onResponse(this: Tagged, headers: IncomingHttpHeaders): void {
  const p = this[PENDING];
  p.httpStatus = Number(headers[":status"] ?? 0);
  const s = headers["grpc-status"];
  if (s !== undefined) {
    // Trailers-only answer (an error before any message).
    p.status = Number(s);
    p.details = decodeMessage(headers["grpc-message"]);
  }
}

function onData(this: Tagged, chunk: Buffer): void {
  const p = this[PENDING];
  p.body = p.body === null ? chunk : Buffer.concat([p.body, chunk]);
}

function onTrailers(this: Tagged, trailers: IncomingHttpHeaders): void {
  const p = this[PENDING];
  p.status = Number(trailers["grpc-status"] ?? Code.UNKNOWN);
  p.details = decodeMessage(trailers["grpc-message"]);
}

function onError(this: Tagged): void {
  // The outcome is decided on "close" (status seen or not); errors only must not go unhandled.
}

function onClose(this: Tagged): void {
  this[PENDING].finish(this.rstCode ?? 0);
}

/** One HTTP/2 connection to one target, for unary calls of any method. */
export class UnaryChannel {
  private session: ClientHttp2Session | null = null;
  private ready = false;
  private readonly waiting: Pending[] = [];
  private failedUntil = 0;
  private backoffMs = INITIAL_BACKOFF_MS;
  private readonly maxBackoffMs: number;
  private closed = false;
  private readonly host: string;
  private readonly port: number;
  private readonly authority: string;
  private readonly tls: ClientTls | undefined;
  private readonly authorization: string | undefined;
  /** Calls by deadline order of arrival; one timer for the earliest (deadlines mostly arrive in order). */
  private readonly byDeadline: Pending[] = [];
  private deadlineHead = 0;
  private deadlineTimer: NodeJS.Timeout | null = null;
  private deadlineTimerAt = Number.POSITIVE_INFINITY;
  private readyWaiters: (() => void)[] = [];

  constructor(target: string, options: UnaryChannelOptions = {}) {
    const colon = target.lastIndexOf(":");
    if (colon <= 0) throw new Error(`target ${target}: expected HOST:PORT`);
    this.host = target.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
    this.port = Number(target.slice(colon + 1));
    this.authority = target;
    this.maxBackoffMs = options.maxReconnectBackoffMs ?? 1000;
    this.tls = options.tls;
    this.authorization = options.bearerToken === undefined ? undefined : `Bearer ${options.bearerToken}`;
  }

  /** Resolves once connected, or after `timeoutMs` if the target stays down (calls will then fail). */
  waitForReady(timeoutMs: number): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => done(), timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.readyWaiters = this.readyWaiters.filter((w) => w !== done);
        resolve();
      };
      this.readyWaiters.push(done);
      this.ensureSession(true);
    });
  }

  /**
   * Starts a unary call of `path` (e.g. "/pkg.Service/Method") with the encoded request `message`,
   * ending by `deadlineEpochMs` (performance.timeOrigin + performance.now() clock).
   */
  call(
    path: string,
    message: Uint8Array,
    deadlineEpochMs: number,
    callback: UnaryCallback,
    traceparent: string | null = null,
  ): UnaryCall {
    const frame = Buffer.allocUnsafe(5 + message.length);
    frame[0] = 0;
    frame.writeUInt32BE(message.length, 1);
    frame.set(message, 5);
    const p = new Pending(path, frame, deadlineEpochMs, callback, traceparent);
    this.track(p);
    if (this.closed) {
      p.endLocally(Code.UNAVAILABLE, "Channel closed");
      return p;
    }
    if (this.ready) this.send(p);
    else {
      this.ensureSession(false);
      if (this.ready) this.send(p);
      else if (this.session === null) p.endLocally(Code.UNAVAILABLE, "No connection established");
      else this.waiting.push(p);
    }
    return p;
  }

  close(): void {
    this.closed = true;
    for (const p of this.waiting.splice(0)) p.endLocally(Code.UNAVAILABLE, "Channel closed");
    this.session?.close();
    this.session = null;
    this.ready = false;
    if (this.deadlineTimer !== null) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = null;
    for (const w of this.readyWaiters.splice(0)) w();
  }

  private send(p: Pending): void {
    const session = this.session as ClientHttp2Session;
    const left = p.deadline - epochNow();
    if (left <= 0) {
      p.endLocally(Code.DEADLINE_EXCEEDED, "Deadline exceeded before the call started");
      return;
    }
    let stream: ClientHttp2Stream;
    const headers: Record<string, string> = {
      ":method": "POST",
      ":path": p.path,
      ":authority": this.authority,
      "content-type": "application/grpc",
      te: "trailers",
      "grpc-accept-encoding": "identity",
      "grpc-timeout": timeoutHeader(left),
    };
    if (this.authorization !== undefined) headers.authorization = this.authorization;
    if (p.traceparent !== null) headers.traceparent = p.traceparent;
    try {
      stream = session.request(headers, { endStream: false });
    } catch (err) {
      // The session went away between our check and the request (GOAWAY, destroyed).
      this.dropSession();
      p.endLocally(Code.UNAVAILABLE, `Connection unavailable: ${(err as Error).message}`);
      return;
    }
    (stream as Tagged)[PENDING] = p;
    p.stream = stream;
    stream.on("response", onResponse);
    stream.on("data", onData);
    stream.on("trailers", onTrailers);
    stream.on("error", onError);
    stream.on("close", onClose);
    stream.end(p.frame);
    p.frame = null;
  }

  private track(p: Pending): void {
    // Ended calls leave from the head as they are passed (amortised O(1)), so the queue holds about
    // the calls in flight, not every call of the last timeout period.
    const q = this.byDeadline;
    while (this.deadlineHead < q.length && (q[this.deadlineHead] as Pending).done) this.deadlineHead++;
    if (this.deadlineHead > 1024 && this.deadlineHead * 2 > q.length) {
      q.splice(0, this.deadlineHead);
      this.deadlineHead = 0;
    }
    q.push(p);
    if (p.deadline < this.deadlineTimerAt) this.armDeadline(p.deadline);
  }

  private armDeadline(at: number): void {
    if (this.deadlineTimer !== null) clearTimeout(this.deadlineTimer);
    this.deadlineTimerAt = at;
    this.deadlineTimer = setTimeout(this.expire, Math.max(0, Math.ceil(at - epochNow())));
  }

  /** Ends the calls whose deadline passed, from the head of the queue; re-arms for the next one. */
  private expire = (): void => {
    this.deadlineTimer = null;
    this.deadlineTimerAt = Number.POSITIVE_INFINITY;
    const now = epochNow();
    const q = this.byDeadline;
    let h = this.deadlineHead;
    while (h < q.length) {
      const p = q[h] as Pending;
      if (!p.done && p.deadline > now) break;
      if (!p.done) p.endLocally(Code.DEADLINE_EXCEEDED, "Deadline exceeded");
      h++;
    }
    if (h > 4096 && h * 2 > q.length) {
      q.splice(0, h);
      h = 0;
    }
    this.deadlineHead = h;
    // Skip ended calls so that the timer is armed for a live one.
    while (this.deadlineHead < q.length && (q[this.deadlineHead] as Pending).done) this.deadlineHead++;
    const next = q[this.deadlineHead];
    if (next !== undefined) this.armDeadline(next.deadline);
    else if (this.deadlineHead > 0) {
      q.length = 0;
      this.deadlineHead = 0;
    }
  };

  /** Opens a connection unless one is open or opening, or the last attempt failed too recently. */
  private ensureSession(evenInBackoff: boolean): void {
    if (this.session !== null || this.closed) return;
    const now = epochNow();
    if (!evenInBackoff && now < this.failedUntil) return;
    if (now < this.failedUntil) {
      // waitForReady in backoff: try again when the backoff ends.
      setTimeout(() => {
        if (this.readyWaiters.length > 0) this.ensureSession(true);
      }, this.failedUntil - now).unref();
      return;
    }
    const tls = this.tls;
    const session = h2Connect(`${tls === undefined ? "http" : "https"}://${this.authority}`, {
      createConnection: () =>
        tls === undefined
          ? netConnect({ host: this.host, port: this.port, noDelay: true })
          : tlsConnect({
              host: this.host,
              port: this.port,
              ca: tls.ca,
              cert: tls.cert,
              key: tls.key,
              ALPNProtocols: ["h2"],
              // SNI carries host names only; the certificate is still checked against an IP target.
              ...(isIP(this.host) === 0 ? { servername: this.host } : {}),
            }).setNoDelay(true),
      // As grpc-js does: Node's default 10 MB session memory cap makes nghttp2 refuse new streams
      // (ENHANCE_YOUR_CALM) and reset others once thousands of calls wait on a slow server.
      maxSessionMemory: Number.MAX_SAFE_INTEGER,
      maxSendHeaderBlockLength: Number.MAX_SAFE_INTEGER,
    });
    this.session = session;
    session.on("error", () => {});
    session.once("connect", () => {
      if (this.session !== session) return;
      this.ready = true;
      this.backoffMs = INITIAL_BACKOFF_MS;
      for (const w of this.readyWaiters.slice()) w();
      const waiting = this.waiting.splice(0);
      for (const p of waiting) if (!p.done) this.send(p);
    });
    // A GOAWAY lets the streams in flight finish; new calls go to a new connection.
    session.once("goaway", () => {
      if (this.session === session) this.dropSession();
      session.close();
    });
    session.once("close", () => {
      if (this.session !== session) return;
      const wasReady = this.ready;
      this.dropSession();
      if (!wasReady) {
        // Never connected: back off, and fail what waited for it (fail fast, as grpc-js does).
        this.failedUntil = epochNow() + this.backoffMs;
        this.backoffMs = Math.min(this.maxBackoffMs, this.backoffMs * 2);
        for (const p of this.waiting.splice(0)) p.endLocally(Code.UNAVAILABLE, "Failed to connect");
        if (this.readyWaiters.length > 0) this.ensureSession(true);
      }
    });
  }

  private dropSession(): void {
    this.session = null;
    this.ready = false;
  }
}
