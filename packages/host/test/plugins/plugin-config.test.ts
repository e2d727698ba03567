import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { groupConfig, tempDir, writeFile } from '../../src/testing/index.js';

function load(triggers: string) {
  const file = writeFile(
    tempDir(),
    'c.yaml',
    `${groupConfig()}---
apiVersion: plugin.routerd.net/v1alpha1
kind: Plugin
metadata: { name: ticker }
spec:
  executable: /usr/bin/true
  triggers: ${triggers}
`,
  );
  return { file, result: loadConfig([file]) };
}

describe('Plugin.spec.triggers', () => {
  it('accepts interval schedules of 1s and more, and defaults to none', () => {
    const { result } = load('[{ type: interval, every: 5m }, { type: interval, every: 1s }]');
    expect(result.ok && result.config.plugins[0]!.resource.spec.triggers).toEqual([
      { type: 'interval', every: '5m' },
      { type: 'interval', every: '1s' },
    ]);
    const none = loadConfig([writeFile(tempDir(), 'd.yaml', groupConfig())]);
    expect(none.ok).toBe(true);
  });

  it('refuses an interval under 1s, an unknown trigger type and unknown fields, with the field path', () => {
    const short = load('[{ type: interval, every: 500ms }]').result;
    expect(short.ok).toBe(false);
    expect(!short.ok && short.issues.map((i) => [i.path, i.message])).toEqual([
      ['/spec/triggers/0/every', 'must be at least 1s (was "500ms")'],
    ]);
    const cron = load('[{ type: cron, every: 5m }]').result;
    expect(!cron.ok && cron.issues[0]!.path).toBe('/spec/triggers/0/type');
    const typo = load('[{ type: interval, evry: 5m }]').result;
    expect(!typo.ok && typo.issues.map((i) => i.path).sort()).toEqual([
      '/spec/triggers/0/every',
      '/spec/triggers/0/evry',
    ]);
  });
});
