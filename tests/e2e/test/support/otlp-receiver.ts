// A local OTLP/HTTP collector for tests: what a real collector's OTLP/HTTP receiver accepts on
// /v1/traces and /v1/metrics (JSON encoding: the OpenTelemetry JS OTLP/HTTP exporters send
// `application/json`, trace and span ids as hex strings — OTLP specification § OTLP/HTTP, JSON Protobuf
// Encoding), kept in memory and flattened for assertions. Loopback only.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedSpan {
  /** The exporting daemon: its resource's service.instance.id (the node name). */
  node: string;
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  startMs: number;
  endMs: number;
  attributes: Record<string, string | number>;
  status: { code?: number; message?: string };
}

export interface ReceivedMetric {
  node: string;
  name: string;
}

export interface OtlpReceiver {
  /** The base URL to configure as EventGroup.spec.otlp.endpoint. */
  url: string;
  spans: ReceivedSpan[];
  metrics: ReceivedMetric[];
  /** Requests answered, by path, and anything refused (wrong method, path or content type). */
  requests: { path: string; contentType: string }[];
  refused: string[];
  close(): Promise<void>;
}

type AnyValue = {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
};
type KeyValue = { key: string; value: AnyValue };

const scalarOf = (v: AnyValue) =>
  v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : v.doubleValue);
const attrs = (list: KeyValue[] = []) =>
  Object.fromEntries(list.map((kv) => [kv.key, scalarOf(kv.value) as string | number]));
const nanosToMs = (n: string | number) => Number(BigInt(n) / 1_000_000n);

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const metrics: ReceivedMetric[] = [];
  const requests: OtlpReceiver['requests'] = [];
  const refused: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const contentType = req.headers['content-type'] ?? '';
      const path = req.url ?? '';
      if (
        req.method !== 'POST' ||
        !contentType.startsWith('application/json') ||
        !['/v1/traces', '/v1/metrics'].includes(path)
      ) {
        refused.push(`${req.method} ${path} ${contentType}`);
        res.writeHead(404).end();
        return;
      }
      requests.push({ path, contentType });
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (path === '/v1/traces')
        for (const rs of body.resourceSpans ?? []) {
          const node = String(attrs(rs.resource?.attributes)['service.instance.id']);
          for (const ss of rs.scopeSpans ?? [])
            for (const s of ss.spans ?? [])
              spans.push({
                node,
                name: s.name,
                kind: s.kind,
                traceId: s.traceId,
                spanId: s.spanId,
                parentSpanId: s.parentSpanId ?? '',
                startMs: nanosToMs(s.startTimeUnixNano),
                endMs: nanosToMs(s.endTimeUnixNano),
                attributes: attrs(s.attributes),
                status: s.status ?? {},
              });
        }
      else
        for (const rm of body.resourceMetrics ?? []) {
          const node = String(attrs(rm.resource?.attributes)['service.instance.id']);
          for (const sm of rm.scopeMetrics ?? [])
            for (const m of sm.metrics ?? []) metrics.push({ node, name: m.name });
        }
      // A full success: the ExportTrace/MetricsServiceResponse with no partial_success.
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    metrics,
    requests,
    refused,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
