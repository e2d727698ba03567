// effective = startup resources + active dynamic parts − masks, with masks only where a
// DynamicOverridePolicy allows them, conflicts refused and expired parts dropping out.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PluginResult } from '@routerd/plugin-sdk';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/index.js';
import { DynamicConfig } from '../../src/dynamic/service.js';
import { NoObserveSet } from '../../src/events/no-observe.js';
import { openDatabase } from '../../src/store/database.js';
import { DynamicStore } from '../../src/store/dynamic-parts.js';

const BASE = `apiVersion: federation.routerd.net/v1alpha1
kind: EventGroup
metadata: { name: edge }
spec: { nodeName: cloud }
---
apiVersion: plugin.routerd.net/v1alpha1
kind: Plugin
metadata: { name: routes }
spec: { executable: /usr/bin/true, capabilities: [propose.dynamicConfig] }
---
apiVersion: plugin.routerd.net/v1alpha1
kind: Plugin
metadata: { name: legacy }
spec: { executable: /usr/bin/true }
`;
const POLICY = `---
apiVersion: config.routerd.net/v1alpha1
kind: DynamicOverridePolicy
metadata: { name: routes-may-mask-legacy }
spec:
  sources: [Plugin/routes]
  targets: [{ kind: Plugin, name: legacy }]
`;

function setup(yaml: string) {
  const dir = mkdtempSync(join(tmpdir(), 'effective-'));
  writeFileSync(join(dir, 'c.yaml'), yaml);
  const load = loadConfig([join(dir, 'c.yaml')]);
  if (!load.ok) throw new Error(JSON.stringify(load.issues));
  const clock = new ManualClock(Date.parse('2026-11-27T06:00:00Z'));
  const dynamic = new DynamicConfig({
    store: new DynamicStore(openDatabase(join(dir, 'routerd.db'))),
    clock,
    noObserve: new NoObserveSet(),
    config: () => load.config,
    emit: () => {},
    log: () => {},
  });
  return { dynamic, clock };
}

const result = (status: Partial<PluginResult['status']>): PluginResult => ({
  apiVersion: 'plugin.routerd.net/v1alpha1',
  kind: 'PluginResult',
  metadata: {},
  status: { observedAt: '2026-11-27T06:00:00Z', ttl: '10m', ...status },
});
const route = (name: string) => ({
  apiVersion: 'net.routerd.net/v1alpha1',
  kind: 'StaticRoute',
  metadata: { name },
  spec: { to: '10.0.0.0/8' },
});
const maskLegacy = {
  op: 'mask' as const,
  target: { kind: 'Plugin', name: 'legacy' },
  reason: 'replaced by dynamic routes',
};
const names = (d: DynamicConfig) => d.render().resources.map((r) => `${r.kind}/${r.metadata.name}`);

describe('effective config', () => {
  it('adds active dynamic resources, annotated with their source, to the startup resources', () => {
    const { dynamic } = setup(BASE);
    expect(
      dynamic.applyResult({ plugin: 'routes' }, [], result({ resources: [route('r1')] })).rejected,
    ).toBeUndefined();
    expect(names(dynamic)).toEqual(['EventGroup/edge', 'Plugin/routes', 'Plugin/legacy', 'StaticRoute/r1']);
    expect(dynamic.render().resources.at(-1)?.metadata.annotations?.['routerd.net/dynamic-source']).toBe(
      'Plugin/routes',
    );
  });

  it('refuses a mask that no DynamicOverridePolicy allows, storing nothing', () => {
    const { dynamic } = setup(BASE);
    const out = dynamic.applyResult(
      { plugin: 'routes' },
      [],
      result({ resources: [route('r1')], directives: [maskLegacy] }),
    );
    expect(out.rejected?.reason).toMatch(
      /mask of Plugin\/legacy by Plugin\/routes is not allowed by any DynamicOverridePolicy/,
    );
    expect(names(dynamic)).toEqual(['EventGroup/edge', 'Plugin/routes', 'Plugin/legacy']);
  });

  it('applies a mask the policy allows', () => {
    const { dynamic } = setup(BASE + POLICY);
    dynamic.applyResult(
      { plugin: 'routes' },
      [],
      result({ resources: [route('r1')], directives: [maskLegacy] }),
    );
    expect(names(dynamic)).not.toContain('Plugin/legacy');
    expect(dynamic.render().masked).toEqual([
      { kind: 'Plugin', name: 'legacy', by: 'plugin-routes', reason: 'replaced by dynamic routes' },
    ]);
  });

  it('refuses a part that conflicts with a startup resource or another source', () => {
    const { dynamic } = setup(BASE);
    expect(
      dynamic.applyResult(
        { plugin: 'routes' },
        [],
        result({ resources: [{ ...route('x'), kind: 'Plugin', metadata: { name: 'legacy' } }] }),
      ).rejected?.reason,
    ).toMatch(/Plugin\/legacy is a startup resource/);
    dynamic.applyResult({ plugin: 'routes' }, [], result({ resources: [route('shared')] }));
    expect(
      dynamic.applyResult({ plugin: 'legacy' }, [], result({ resources: [route('shared')] })).rejected
        ?.reason,
    ).toMatch(/StaticRoute\/shared is already provided by Plugin\/routes/);
  });

  it('drops parts whose TTL has passed', () => {
    const { dynamic, clock } = setup(BASE);
    dynamic.applyResult({ plugin: 'routes' }, [], result({ resources: [route('r1')] }));
    clock.advance(10 * 60_000 + 1);
    expect(names(dynamic)).not.toContain('StaticRoute/r1');
    expect(dynamic.parts()[0]?.state).toBe('released');
  });

  it('a new generation only when the content changes', () => {
    const { dynamic } = setup(BASE);
    expect(
      dynamic.applyResult({ plugin: 'routes' }, [], result({ resources: [route('r1')] })).accepted[0]
        ?.generation,
    ).toBe(1);
    expect(
      dynamic.applyResult({ plugin: 'routes' }, [], result({ resources: [route('r1')] })).accepted[0]
        ?.generation,
    ).toBe(1);
    expect(
      dynamic.applyResult({ plugin: 'routes' }, [], result({ resources: [route('r2')] })).accepted[0]
        ?.generation,
    ).toBe(2);
  });
});
