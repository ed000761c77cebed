// A real OTLP/gRPC trace receiver for tests: a grpc-js server implementing the collector's TraceService
// (test/support/otlp/trace_service.proto), collecting every span it is sent with its resource's service name.
import { join } from "node:path";
import { loadPackageDefinition, Server, ServerCredentials, type ServiceDefinition } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";

export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  /** "" for a root span. */
  parentSpanId: string;
  name: string;
  kind: number;
  startNs: bigint;
  attributes: Record<string, string | number | boolean>;
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
}

interface WireValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number;
}
interface WireKeyValue {
  key: string;
  value?: WireValue;
}
interface WireRequest {
  resourceSpans: {
    resource?: { attributes: WireKeyValue[] };
    scopeSpans: {
      spans: {
        traceId: Buffer;
        spanId: Buffer;
        parentSpanId: Buffer;
        name: string;
        kind: number;
        startTimeUnixNano: string;
        attributes: WireKeyValue[];
        status?: { code: number };
      }[];
    }[];
  }[];
}

const anyValue = (v: WireValue | undefined): string | number | boolean =>
  v?.stringValue ?? v?.boolValue ?? (v?.intValue !== undefined ? Number(v.intValue) : (v?.doubleValue ?? ""));
const attributesOf = (list: WireKeyValue[]) =>
  Object.fromEntries(list.map((kv) => [kv.key, anyValue(kv.value)]));

export interface OtlpReceiver {
  url: string;
  spans: ReceivedSpan[];
  /** Resolves once `predicate` holds for the spans received so far (checked on each export). */
  until(predicate: (spans: ReceivedSpan[]) => boolean): Promise<void>;
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const definition = loadSync(join(import.meta.dirname, "otlp/trace_service.proto"), {
    longs: String,
    defaults: true,
    oneofs: false,
  });
  // biome-ignore lint/suspicious/noExplicitAny: proto-loader's package tree is untyped by design
  const pkg = loadPackageDefinition(definition) as any;
  const service = pkg.opentelemetry.proto.collector.trace.v1.TraceService.service as ServiceDefinition;
  const spans: ReceivedSpan[] = [];
  const waiters: { predicate: (s: ReceivedSpan[]) => boolean; resolve: () => void }[] = [];
  const server = new Server();
  server.addService(service, {
    Export: (call: { request: WireRequest }, callback: (err: null, res: Record<string, never>) => void) => {
      for (const rs of call.request.resourceSpans) {
        const resource = attributesOf(rs.resource?.attributes ?? []);
        for (const ss of rs.scopeSpans)
          for (const s of ss.spans)
            spans.push({
              service: String(resource["service.name"] ?? ""),
              traceId: s.traceId.toString("hex"),
              spanId: s.spanId.toString("hex"),
              parentSpanId: s.parentSpanId.toString("hex"),
              name: s.name,
              kind: s.kind,
              startNs: BigInt(s.startTimeUnixNano),
              attributes: attributesOf(s.attributes),
              statusCode: s.status?.code ?? 0,
            });
      }
      callback(null, {});
      for (const w of [...waiters])
        if (w.predicate(spans)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    until: (predicate) =>
      predicate(spans) ? Promise.resolve() : new Promise((resolve) => waiters.push({ predicate, resolve })),
    close: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}
