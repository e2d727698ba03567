/**
 * The optional OTLP export (EventGroup.spec.otlp): nothing of OpenTelemetry is imported until a config
 * names an endpoint (the import below is dynamic, and tsup keeps it in its own chunk), so a router that
 * does not export keeps its start-up time and memory. Follows reloads: a new endpoint or interval
 * replaces the exporter, none stops it.
 */
import { parseDuration } from '@routerd/plugin-sdk';
import type { Registry } from 'prom-client';
import type { FederationConfig } from '../config/index.js';
import type { OtlpExport } from './otlp.js';
import type { SpanSink, StepSpan } from './step-spans.js';

export * from './step-spans.js';

export interface TelemetryOptions {
  registry: Registry;
  version: string;
  log: (level: 'info' | 'warn', msg: string, fields?: Record<string, unknown>) => void;
  /** Where the exporter comes from: its own chunk, loaded on first use (a test may give another). */
  loadExporter?: () => Promise<Pick<typeof import('./otlp.js'), 'startOtlpExport'>>;
}

/** The endpoint the config asks for, with what else the exporter needs; undefined: no export. */
export function otlpSettings(config: FederationConfig) {
  const group = config.groups.find((g) => g.resource.spec.otlp)?.resource;
  if (!group?.spec.otlp) return undefined;
  return {
    endpoint: group.spec.otlp.endpoint,
    exportIntervalMs: parseDuration(group.spec.otlp.exportInterval),
    nodeName: group.spec.nodeName,
  };
}

export class Telemetry implements SpanSink {
  private current?: { key: string; export: OtlpExport };
  private applying: Promise<void> = Promise.resolve();

  constructor(private readonly o: TelemetryOptions) {}

  /** Whether spans are being exported (the exporter is loaded). */
  get exporting(): boolean {
    return this.current !== undefined;
  }

  record(span: StepSpan): void {
    this.current?.export.record(span);
  }

  /**
   * Start, replace or stop the export to match the config; one at a time, in order. Never rejects: an
   * export that cannot start is logged and left off, and the next reload tries again (a reload applies
   * telemetry after the new config is in force, so a throw here would leave the rest of it unapplied).
   */
  apply(config: FederationConfig): Promise<void> {
    this.applying = this.applying
      .then(() => this.applyOnce(config))
      .catch((err: unknown) => {
        this.current = undefined;
        this.o.log('warn', 'OTLP export could not start: spans and metrics are not exported', {
          error: (err as Error).message,
        });
      });
    return this.applying;
  }

  private async applyOnce(config: FederationConfig): Promise<void> {
    const settings = otlpSettings(config);
    const key = settings ? JSON.stringify(settings) : '';
    if ((this.current?.key ?? '') === key) return;
    const old = this.current;
    this.current = undefined;
    if (old) await old.export.shutdown();
    if (!settings) {
      if (old) this.o.log('info', 'OTLP export stopped');
      return;
    }
    const { startOtlpExport } = await (this.o.loadExporter?.() ?? import('./otlp.js'));
    this.current = {
      key,
      export: startOtlpExport({ ...settings, registry: this.o.registry, version: this.o.version }),
    };
    this.o.log('info', 'OTLP export started', {
      endpoint: settings.endpoint,
      exportIntervalMs: settings.exportIntervalMs,
    });
  }

  /** Send what is buffered (a test, or before a stop). */
  async flush(): Promise<void> {
    await this.current?.export.flush();
  }

  async stop(): Promise<void> {
    await this.applying;
    const old = this.current;
    this.current = undefined;
    await old?.export.shutdown();
  }
}
