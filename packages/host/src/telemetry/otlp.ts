/**
 * OTLP/HTTP export with the OpenTelemetry JS SDK: the journey's spans (step-spans.ts) and the daemon's
 * own metrics. Loaded only by telemetry/index.ts, only when an EventGroup names an endpoint: a router
 * that does not export pays nothing for these packages.
 */
import { type Context, context, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type IdGenerator,
  RandomIdGenerator,
} from '@opentelemetry/sdk-trace-base';
import type { Registry } from 'prom-client';
import { observePromRegistry } from './prom-bridge.js';
import type { SpanSink, StepSpan } from './step-spans.js';

export interface OtlpOptions {
  /** The collector's base URL; `/v1/traces` and `/v1/metrics` are appended (as OTEL_EXPORTER_OTLP_ENDPOINT). */
  endpoint: string;
  exportIntervalMs: number;
  nodeName: string;
  version: string;
  registry: Registry;
}

export interface OtlpExport extends SpanSink {
  /** Send what is buffered now (spans and a metrics reading). */
  flush(): Promise<void>;
  /** Flush, then stop the exporters; never throws (a collector that is down must not stop the daemon). */
  shutdown(): Promise<void>;
}

/**
 * The SDK draws span and trace ids itself; an event's span must keep the id its traceparent carries (the
 * peer's receive span names it as parent). So the next ids can be set just before a span starts.
 */
class PresetIds implements IdGenerator {
  private readonly random = new RandomIdGenerator();
  next: { traceId?: string; spanId?: string } = {};
  generateTraceId(): string {
    return this.next.traceId ?? this.random.generateTraceId();
  }
  generateSpanId(): string {
    return this.next.spanId ?? this.random.generateSpanId();
  }
}

const KINDS = {
  internal: SpanKind.INTERNAL,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
  client: SpanKind.CLIENT,
} as const;

export function startOtlpExport(options: OtlpOptions): OtlpExport {
  const base = options.endpoint.replace(/\/+$/, '');
  const resource = resourceFromAttributes({
    'service.name': 'routerd-eventd',
    'service.version': options.version,
    'service.instance.id': options.nodeName,
  });
  const ids = new PresetIds();
  const tracing = new BasicTracerProvider({
    resource,
    idGenerator: ids,
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${base}/v1/traces` }), {
        scheduledDelayMillis: options.exportIntervalMs,
        // Bounded: a collector that is down costs at most this many spans of memory, then spans are dropped.
        maxQueueSize: 2048,
      }),
    ],
  });
  const tracer = tracing.getTracer('routerd-eventd', options.version);
  const reader = new PeriodicExportingMetricReader({
    exporter: new OTLPMetricExporter({ url: `${base}/v1/metrics` }),
    exportIntervalMillis: options.exportIntervalMs,
    exportTimeoutMillis: Math.min(options.exportIntervalMs, 10_000),
  });
  const meters = new MeterProvider({ resource, readers: [reader] });
  observePromRegistry(meters.getMeter('routerd-eventd', options.version), options.registry);

  const record = (s: StepSpan) => {
    let parent: Context = context.active();
    if (s.parentSpanId !== undefined)
      parent = trace.setSpanContext(parent, {
        traceId: s.traceId,
        spanId: s.parentSpanId,
        traceFlags: TraceFlags.SAMPLED,
        isRemote: true,
      });
    // With a parent the SDK takes its trace id; without one, the preset trace id is drawn.
    ids.next = { traceId: s.traceId, ...(s.spanId ? { spanId: s.spanId } : {}) };
    try {
      const span = tracer.startSpan(
        s.name,
        { kind: KINDS[s.kind], startTime: new Date(s.startMs), attributes: s.attributes },
        parent,
      );
      if (s.error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: s.error });
      span.end(new Date(s.endMs));
    } finally {
      ids.next = {};
    }
  };
  const flush = async () => {
    await Promise.allSettled([tracing.forceFlush(), reader.forceFlush()]);
  };
  return {
    record,
    flush,
    async shutdown() {
      await flush();
      await Promise.allSettled([tracing.shutdown(), meters.shutdown()]);
    },
  };
}
