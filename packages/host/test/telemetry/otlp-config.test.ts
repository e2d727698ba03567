// EventGroup.spec.otlp: off by default, what it accepts and what it refuses (by field), and what the
// Telemetry holder makes of it: no exporter, hence no OpenTelemetry loaded, without an endpoint; one
// started, replaced and stopped as reloads change it. The export itself, to a collector, is
// tests/e2e/test/otlp-export.test.ts.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { otlpSettings, Telemetry } from '../../src/telemetry/index.js';
import { tempDir, writeFile } from '../../src/testing/index.js';

const group = (name: string, extra: string) => `apiVersion: federation.routerd.net/v1alpha1
kind: EventGroup
metadata: { name: ${name} }
spec:
  nodeName: onprem-1
${extra}`;

function load(yaml: string) {
  const result = loadConfig([writeFile(tempDir('otlp-config-'), 'c.yaml', yaml)]);
  return result;
}
function refusal(yaml: string) {
  const result = load(yaml);
  if (result.ok) throw new Error('expected the config to be refused');
  return result.issues.map((i) => ({ path: i.path, message: i.message, resource: i.resource }));
}
function config(yaml: string) {
  const result = load(yaml);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.config;
}

describe('EventGroup.spec.otlp', () => {
  it('is off by default', () => {
    expect(otlpSettings(config(group('lab', '')))).toBeUndefined();
  });

  it('takes a collector URL, exporting every 10s by default', () => {
    expect(otlpSettings(config(group('lab', "  otlp: { endpoint: 'http://127.0.0.1:4318' }\n")))).toEqual({
      endpoint: 'http://127.0.0.1:4318',
      exportIntervalMs: 10_000,
      nodeName: 'onprem-1',
    });
  });

  it('refuses what is not a URL, a URL with credentials, an interval under 1s or over 1h, and a second group', () => {
    expect(refusal(group('lab', '  otlp: { endpoint: collector:4318 }\n'))[0]!.path).toBe(
      '/spec/otlp/endpoint',
    );
    const [creds] = refusal(group('lab', "  otlp: { endpoint: 'https://user:secret@otel.example:4318' }\n"));
    expect(creds).toMatchObject({
      path: '/spec/otlp/endpoint',
      message: expect.stringMatching(/without user:password@/),
    });
    const [fast] = refusal(
      group('lab', "  otlp: { endpoint: 'http://127.0.0.1:4318', exportInterval: 100ms }\n"),
    );
    expect(fast).toMatchObject({
      path: '/spec/otlp/exportInterval',
      message: expect.stringMatching(/at least 1s/),
    });
    expect(
      refusal(group('lab', "  otlp: { endpoint: 'http://127.0.0.1:4318', exportInterval: 2h }\n"))[0]!.path,
    ).toBe('/spec/otlp/exportInterval');
    expect(
      refusal(group('lab', "  otlp: { endpoint: 'http://127.0.0.1:4318', headers: {} }\n"))[0]!.path,
    ).toBe('/spec/otlp/headers');
    const two = refusal(
      `${group('a', "  otlp: { endpoint: 'http://127.0.0.1:4318' }\n")}---\n${group('b', "  otlp: { endpoint: 'http://127.0.0.1:4319' }\n")}`,
    );
    expect(two).toEqual([expect.objectContaining({ path: '/spec/otlp', resource: 'EventGroup/b' })]);
  });
});

describe('Telemetry', () => {
  const logs: string[] = [];
  const telemetry = () =>
    new Telemetry({ registry: new Registry(), version: '0', log: (_level, msg) => logs.push(msg) });

  it('exports nothing without an endpoint, and follows reloads that add, change and remove one', async () => {
    const t = telemetry();
    await t.apply(config(group('lab', '')));
    expect(t.exporting).toBe(false);
    await t.apply(config(group('lab', "  otlp: { endpoint: 'http://127.0.0.1:9' }\n")));
    expect(t.exporting).toBe(true);
    await t.apply(config(group('lab', "  otlp: { endpoint: 'http://127.0.0.1:9', exportInterval: 5s }\n")));
    expect(t.exporting).toBe(true);
    await t.apply(config(group('lab', '')));
    expect(t.exporting).toBe(false);
    expect(logs).toEqual(['OTLP export started', 'OTLP export started', 'OTLP export stopped']);
    await t.stop();
  });

  it('an export that cannot start is logged and left off; the next reload starts it (never a rejection)', async () => {
    const warnings: { msg: string; error: unknown }[] = [];
    let loads = 0;
    const t = new Telemetry({
      registry: new Registry(),
      version: '0',
      log: (level, msg, fields) => {
        if (level === 'warn') warnings.push({ msg, error: fields?.error });
      },
      loadExporter: async () => {
        if (++loads === 1) throw new Error('Cannot find module ./otlp-chunk.js');
        return import('../../src/telemetry/otlp.js');
      },
    });
    const exporting = config(group('lab', "  otlp: { endpoint: 'http://127.0.0.1:9' }\n"));
    await expect(t.apply(exporting)).resolves.toBeUndefined();
    expect(t.exporting).toBe(false);
    expect(warnings).toEqual([
      {
        msg: 'OTLP export could not start: spans and metrics are not exported',
        error: 'Cannot find module ./otlp-chunk.js',
      },
    ]);
    await t.apply(exporting);
    expect(t.exporting).toBe(true);
    await t.stop();
  });
});
