/** A PluginHost on a real database and real plugin processes (the SDK's fixtures), for these tests. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { type Clock, systemClock } from '../../src/clock.js';
import { type FederationConfig, loadConfig } from '../../src/config/index.js';
import { EmitPipeline } from '../../src/events/emit.js';
import { capturedByConfig, NoObserveSet } from '../../src/events/no-observe.js';
import { PluginHost, type PluginHostOptions } from '../../src/plugins/plugin-host.js';
import { openDatabase } from '../../src/store/database.js';
import { EventStore } from '../../src/store/events.js';
import { PluginRunStore } from '../../src/store/plugin-runs.js';
import { groupConfig, tempDir } from '../../src/testing/index.js';

export const SDK_FIXTURE = (name: string) =>
  fileURLToPath(new URL(`../../../plugin-sdk/test/fixtures/${name}`, import.meta.url));
export const HOST_FIXTURE = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

export interface PluginYaml {
  name: string;
  script: string;
  args?: string[];
  lifecycle?: 'longLived' | 'oneShot';
  capabilities?: string[];
  timeout?: string;
  triggers?: { type: 'interval'; every: string }[];
  config?: Record<string, unknown>;
}

/** A Plugin resource that runs a fixture script with this node. */
export function pluginYaml(p: PluginYaml): string {
  const spec = {
    executable: process.execPath,
    args: [p.script, ...(p.args ?? [])],
    lifecycle: p.lifecycle ?? 'oneShot',
    capabilities: p.capabilities ?? ['propose.dynamicConfig'],
    timeout: p.timeout ?? '10s',
    ...(p.triggers ? { triggers: p.triggers } : {}),
    ...(p.config ? { config: p.config } : {}),
  };
  return `apiVersion: plugin.routerd.net/v1alpha1
kind: Plugin
metadata: { name: ${p.name} }
spec: ${JSON.stringify(spec)}
`;
}

export interface LogEntry {
  level: string;
  msg: string;
  fields: Record<string, unknown>;
}

export function loadPlugins(
  dir: string,
  plugins: PluginYaml[],
  captured = ['10.88.60.0/24'],
): FederationConfig {
  const file = join(dir, 'config.yaml');
  writeFileSync(file, [groupConfig({ captured }), ...plugins.map(pluginYaml)].join('---\n'));
  const load = loadConfig([file]);
  if (!load.ok) expect(load.issues).toEqual([]);
  return (load as { config: FederationConfig }).config;
}

export interface StartHostOptions {
  /** Defaults to the system clock; a ManualClock freezes time for the log rate limit. */
  clock?: Clock;
  /** Merged over the short supervision timings below (e.g. `{ cgroup: false }`). */
  supervision?: PluginHostOptions['supervision'];
}

export async function startHost(plugins: PluginYaml[], opts: StartHostOptions = {}) {
  const clock = opts.clock ?? systemClock;
  const dir = tempDir('routerd-plugins-');
  const config = loadPlugins(dir, plugins);
  const db = openDatabase(join(dir, 'routerd.db'));
  const store = new EventStore(db, clock);
  const noObserve = new NoObserveSet();
  noObserve.replace('config', capturedByConfig(config));
  const pipeline = new EmitPipeline({ store, clock, noObserve, config: () => config });
  const runs = new PluginRunStore(db);
  const logs: LogEntry[] = [];
  const host = new PluginHost({
    runs,
    pipeline,
    clock,
    log: (level, msg, fields = {}) => logs.push({ level, msg, fields }),
    supervision: {
      restartBudget: { maxRestarts: 2, windowMs: 60_000 },
      backoff: { baseMs: 50, maxMs: 100 },
      cancelGraceMs: 300,
      ...opts.supervision,
    },
  });
  await host.apply(config);
  return {
    dir,
    host,
    runs,
    store,
    logs,
    async close() {
      await host.stop();
      db.close();
    },
  };
}

export async function waitFor<T>(probe: () => T | undefined | false, timeoutMs = 8000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
