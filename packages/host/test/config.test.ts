import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_JSON_DEPTH } from '@routerd/plugin-sdk';
import { describe, expect, it } from 'vitest';
import { type ConfigIssue, formatConfigIssue, loadConfig } from '../src/config/index.js';

const dir = mkdtempSync(join(tmpdir(), 'routerd-config-'));
let n = 0;
function file(content: string): string {
  const path = join(dir, `config-${++n}.yaml`);
  writeFileSync(path, content);
  return path;
}

const GROUP = `apiVersion: federation.routerd.net/v1alpha1
kind: EventGroup
metadata:
  name: lab
spec:
  nodeName: cloud-1
`;
const PLUGIN = `apiVersion: plugin.routerd.net/v1alpha1
kind: Plugin
metadata:
  name: aws-claim
spec:
  executable: /usr/libexec/routerd/aws-claim
`;

function issues(...contents: string[]): ConfigIssue[] {
  const load = loadConfig(contents.map(file));
  if (load.ok) throw new Error('expected the config to be refused');
  return load.issues;
}

describe('loadConfig', () => {
  it('applies every default to a minimal config', () => {
    const load = loadConfig([file(GROUP), file(`${PLUGIN}---\n${subscription()}`)]);
    expect(load.ok).toBe(true);
    if (!load.ok) return;
    expect(load.config.groups[0]!.resource.spec).toEqual({
      nodeName: 'cloud-1',
      replayWindow: '5m',
      maxEventTtl: '24h',
      retention: { maxAge: '168h', maxEvents: 1_000_000 },
      captured: [],
      doctor: { maxPending: 1000, maxLag: '60s', maxFailed: 0, maxClockSkew: '30s', peerSilentAfter: '5m' },
    });
    expect(load.config.plugins[0]!.resource.spec).toEqual({
      executable: '/usr/libexec/routerd/aws-claim',
      args: [],
      timeout: '30s',
      env: {},
      capabilities: [],
      config: {},
      lifecycle: 'oneShot',
      triggers: [],
    });
    expect(load.config.subscriptions[0]!.resource.spec).toEqual({
      groupRef: 'lab',
      match: { types: ['routerd.client.*'], subjectPrefixes: [], payload: {}, sourceNodes: [] },
      trigger: { pluginRef: 'aws-claim', batchWindow: '0s', debounce: '0s', maxBatch: 100 },
      retry: { baseDelay: '2s', maxDelay: '5m' },
      teardown: { grace: '30m', observationTTL: '300s' },
      backfill: { maxEvents: 1000 },
    });
  });

  it('names file, line, document, Kind/name and field path, and says what is expected', () => {
    const f = file(`${GROUP}---
apiVersion: federation.routerd.net/v1alpha1
kind: EventPeer
metadata:
  name: onprem
spec:
  groupRef: lab
  nodeName: onprem-1
  endpoint: https://169.254.10.1:9443
  retry:
    baseDelay: 5x
`);
    const load = loadConfig([f]);
    expect(load.ok).toBe(false);
    if (load.ok) return;
    expect(load.issues).toHaveLength(1);
    const issue = load.issues[0]!;
    expect(issue).toMatchObject({
      file: f,
      document: 2,
      line: 17,
      resource: 'EventPeer/onprem',
      path: '/spec/retry/baseDelay',
    });
    expect(formatConfigIssue(issue)).toBe(
      `${f}:17: document 2 (EventPeer/onprem): /spec/retry/baseDelay must be a duration such as 300ms, 30s, 5m or 1h30m (was "5x")`,
    );
  });

  it('refuses references to resources that do not exist', () => {
    const found = issues(GROUP, subscription({ groupRef: 'nope', pluginRef: 'missing' }));
    expect(found.map((i) => [i.resource, i.path])).toEqual([
      ['EventSubscription/to-cloud', '/spec/groupRef'],
      ['EventSubscription/to-cloud', '/spec/trigger/pluginRef'],
    ]);
    expect(found[0]!.message).toContain('EventGroup "nope", which does not exist (EventGroups: lab)');
    expect(found[1]!.message).toContain('Plugin "missing", which does not exist');
  });

  it('refuses duplicate names across files, pointing at the first definition', () => {
    const first = file(GROUP);
    const load = loadConfig([first, file(GROUP)]);
    expect(load.ok).toBe(false);
    if (load.ok) return;
    expect(load.issues).toHaveLength(1);
    expect(load.issues[0]).toMatchObject({ resource: 'EventGroup/lab', path: '/metadata/name' });
    expect(load.issues[0]!.message).toBe(`duplicates EventGroup/lab already defined in ${first} document 1`);
  });

  it('checks addresses, CIDRs, ports, durations, unknown fields and enums', () => {
    const found = issues(`${GROUP.replace(
      'nodeName: cloud-1',
      `nodeName: cloud-1
  captured: [10.88.60.9, 10.88.60.0/33]
  listen:
    address: 0.0.0.0
    port: 70000
  replayWindow: 0s
  captureed: []`,
    )}---
${PLUGIN}  lifecycle: forever
  timeout: 10
`);
    const byPath = Object.fromEntries(found.map((i) => [i.path, i.message]));
    expect(byPath['/spec/captured/1']).toContain('must be an IPv4 address or CIDR');
    expect(byPath['/spec/listen/port']).toBe('must be a TCP port from 1 to 65535 (was 70000)');
    expect(byPath['/spec/captureed']).toBe('is not a known field here: remove it or check its spelling');
    expect(byPath['/spec/lifecycle']).toBe('must be "longLived" or "oneShot" (was "forever")');
    expect(byPath['/spec/timeout']).toContain('must be a duration');
  });

  it('applies the cross-field rules once the shapes are valid', () => {
    const found = issues(
      GROUP.replace(
        'nodeName: cloud-1',
        'nodeName: cloud-1\n  listen:\n    address: 0.0.0.0\n  replayWindow: 0s',
      ),
      `apiVersion: federation.routerd.net/v1alpha1
kind: EventPeer
metadata:
  name: self
spec:
  groupRef: lab
  nodeName: cloud-1
  endpoint: http://169.254.10.1:9443
  retry: { baseDelay: 10s, maxDelay: 1s }
`,
    );
    expect(found.map((i) => i.path)).toEqual([
      '/spec/listen/address',
      '/spec/replayWindow',
      '/spec/nodeName',
      '/spec/retry/maxDelay',
    ]);
    expect(found[0]!.message).toContain('set listen.allowWildcard: true');
    expect(found[2]!.message).toContain("is this node's own name");
  });

  it('reports unknown kinds, wrong apiVersions, YAML syntax errors and missing files', () => {
    const wrong = issues(
      `${GROUP}---\napiVersion: v1\nkind: EventGroup\nmetadata: {name: x}\nspec: {}\n---\nkind: Nope\napiVersion: v1\n`,
    );
    expect(wrong.map((i) => [i.document, i.path])).toEqual([
      [2, '/apiVersion'],
      [3, '/kind'],
    ]);
    expect(wrong[0]!.message).toBe('must be federation.routerd.net/v1alpha1 for kind EventGroup (was "v1")');
    expect(wrong[1]!.message).toContain('expected one of EventGroup, EventPeer, EventSubscription, Plugin');

    const syntax = issues(`${GROUP}  bad: [unclosed\n`);
    expect(syntax[0]!.message).toMatch(/^YAML syntax:/);
    expect(syntax[0]!.line).toBeGreaterThan(0);

    const missing = loadConfig([join(dir, 'absent.yaml')]);
    expect(!missing.ok && missing.issues[0]!.message).toBe('cannot read config file: no such file');
  });

  it('reports YAML alias errors as issues with a line, never as an exception', () => {
    // An alias to an anchor that does not exist (a typo), on line 6.
    const undefinedAnchor = issues(GROUP.replace('nodeName: cloud-1', 'nodeName: *node'));
    expect(undefinedAnchor).toEqual([
      expect.objectContaining({
        document: 1,
        line: 6,
        message: expect.stringContaining('YAML alias *node refers to no anchor &node'),
      }),
    ]);

    // One anchor used more often than the alias limit allows.
    const many = issues(
      `${GROUP}  captured: &a [10.0.0.1]\n  x: [${Array.from({ length: 150 }, () => '*a').join(', ')}]\n`,
    );
    expect(many[0]).toMatchObject({
      line: 8,
      message: expect.stringMatching(/^YAML aliases expand to more than 100/),
    });

    // An alias bomb: each level multiplies the one below.
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (const [name, below] of [
      ['b', 'a'],
      ['c', 'b'],
      ['d', 'c'],
      ['e', 'd'],
    ] as const)
      levels.push(`${name}: &${name} [${Array.from({ length: 9 }, () => `*${below}`).join(', ')}]`);
    const bomb = issues(`${GROUP}  annotations:\n${levels.map((l) => `    ${l}`).join('\n')}\n`);
    expect(bomb[0]).toMatchObject({ line: 9, message: expect.stringMatching(/^YAML aliases expand/) });

    // A valid file beside the broken one is still read, and its problems reported too.
    const both = issues(
      GROUP.replace('nodeName: cloud-1', 'nodeName: *node'),
      PLUGIN.replace('aws-claim', 'X'),
    );
    expect(both.map((i) => i.document)).toEqual([1, 1]);
  });

  it('refuses a config file that is a directory, saying so (a FIFO: see daemon.test.ts)', () => {
    const load = loadConfig([dir]);
    expect(!load.ok && load.issues.map((i) => i.message)).toEqual([
      'cannot read config file: it is a directory, not a regular file',
    ]);
  });

  it('needs at least one EventGroup, and does not repeat errors about an invalid one', () => {
    expect(issues(PLUGIN)[0]!.message).toContain('defines no EventGroup');
    const found = issues(GROUP.replace('nodeName: cloud-1', 'nodeName: Cloud_1'), PLUGIN, subscription());
    // The subscription's groupRef names the invalid group: one error (the group's), not two.
    expect(found.map((i) => i.path)).toEqual(['/spec/nodeName']);
  });
});

function subscription({ groupRef = 'lab', pluginRef = 'aws-claim' } = {}): string {
  return `apiVersion: federation.routerd.net/v1alpha1
kind: EventSubscription
metadata:
  name: to-cloud
spec:
  groupRef: ${groupRef}
  match:
    types: [routerd.client.*]
  trigger:
    pluginRef: ${pluginRef}
`;
}

describe('EventSubscription teardown', () => {
  it('refuses a grace shorter than 3× the observation TTL, naming the field', () => {
    const yaml = `apiVersion: federation.routerd.net/v1alpha1
kind: EventGroup
metadata: { name: lab }
spec: { nodeName: cloud }
---
apiVersion: plugin.routerd.net/v1alpha1
kind: Plugin
metadata: { name: p }
spec: { executable: /usr/bin/true }
---
apiVersion: federation.routerd.net/v1alpha1
kind: EventSubscription
metadata: { name: s }
spec:
  groupRef: lab
  trigger: { pluginRef: p }
  teardown: { grace: 10m, observationTTL: 300s }
`;
    const dir = mkdtempSync(join(tmpdir(), 'teardown-'));
    writeFileSync(join(dir, 'c.yaml'), yaml);
    const load = loadConfig([join(dir, 'c.yaml')]);
    expect(load.ok).toBe(false);
    if (!load.ok) {
      expect(load.issues[0]).toMatchObject({ resource: 'EventSubscription/s', path: '/spec/teardown/grace' });
      expect(load.issues[0]?.message).toMatch(/at least 3 × teardown.observationTTL \(300s\)/);
    }
  });
});

describe('durations that reach a timer are bounded', () => {
  // Each field, its maximum, and a YAML fragment setting it. Above 2^31-1 ms Node fires a timer after
  // 1 ms instead: `timeout: 600h` once passed validation and timed out every run at once.
  const bounded = [
    { path: '/spec/replayWindow', max: '1h', doc: 1, yaml: (v: string) => `  replayWindow: ${v}\n` },
    {
      path: '/spec/retry/baseDelay',
      max: '1h',
      doc: 2,
      yaml: (v: string) => `  retry: { baseDelay: ${v}, maxDelay: 1h }\n`,
    },
    { path: '/spec/retry/maxDelay', max: '1h', doc: 2, yaml: (v: string) => `  retry: { maxDelay: ${v} }\n` },
    { path: '/spec/trigger/batchWindow', max: '1h', doc: 3, yaml: (v: string) => `    batchWindow: ${v}\n` },
    { path: '/spec/trigger/debounce', max: '1h', doc: 3, yaml: (v: string) => `    debounce: ${v}\n` },
    {
      path: '/spec/retry/baseDelay',
      max: '1h',
      doc: 3,
      yaml: (v: string) => `  retry: { baseDelay: ${v}, maxDelay: 1h }\n`,
    },
    { path: '/spec/retry/maxDelay', max: '1h', doc: 3, yaml: (v: string) => `  retry: { maxDelay: ${v} }\n` },
    {
      path: '/spec/teardown/grace',
      max: '168h',
      doc: 3,
      yaml: (v: string) => `  teardown: { grace: ${v} }\n`,
    },
    { path: '/spec/timeout', max: '1h', doc: 4, yaml: (v: string) => `  timeout: ${v}\n` },
    {
      path: '/spec/triggers/0/every',
      max: '24h',
      doc: 4,
      yaml: (v: string) => `  triggers: [{ type: interval, every: ${v} }]\n`,
    },
  ];
  const PEER = `apiVersion: federation.routerd.net/v1alpha1
kind: EventPeer
metadata:
  name: onprem
spec:
  groupRef: lab
  nodeName: onprem-1
  endpoint: http://169.254.10.1:9443
`;
  const SUBSCRIPTION = subscription();
  /** GROUP, PEER, SUBSCRIPTION, PLUGIN with `fragment` added to document `doc` (1-based; an indented fragment goes into the trigger block). */
  function config(doc: number, fragment: string): string {
    const docs = [GROUP, PEER, SUBSCRIPTION, PLUGIN];
    const i = doc - 1;
    if (fragment.startsWith('    '))
      docs[i] = docs[i]!.replace('    pluginRef: aws-claim\n', `    pluginRef: aws-claim\n${fragment}`);
    else docs[i] = docs[i] + fragment;
    return docs.join('---\n');
  }

  it.each(bounded)('$path (document $doc) is at most $max', ({ path, max, doc, yaml }) => {
    expect(loadConfig([file(config(doc, yaml(max)))]).ok).toBe(true);
    const over = `${max}1ms`;
    const found = issues(config(doc, yaml(over)));
    expect(found).toEqual([
      expect.objectContaining({ document: doc, path, message: `must be at most ${max} (was "${over}")` }),
    ]);
  });

  it(`refuses a Plugin config nested deeper than ${MAX_JSON_DEPTH} levels, naming it, and takes one at the bound`, () => {
    // YAML flow mappings: `{ x: { x: {} } }` is 3 levels.
    const nested = (levels: number) => `${'{ x: '.repeat(levels - 1)}{}${' }'.repeat(levels - 1)}`;
    const withConfig = (levels: number) => `${PLUGIN}  config: ${nested(levels)}\n`;
    expect(loadConfig([file(GROUP), file(withConfig(MAX_JSON_DEPTH))]).ok).toBe(true);
    const [issue] = issues(GROUP, withConfig(MAX_JSON_DEPTH + 1));
    expect(issue).toMatchObject({
      resource: 'Plugin/aws-claim',
      path: '/spec/config',
      message: `must be JSON nested at most ${MAX_JSON_DEPTH} levels deep (was deeper)`,
    });
  });

  it('refuses the Plugin timeout that once timed every run out after 100 ms', () => {
    const found = issues(config(4, '  timeout: 600h\n'));
    expect(formatConfigIssue(found[0]!)).toMatch(
      /:34: document 4 \(Plugin\/aws-claim\): \/spec\/timeout must be at most 1h \(was "600h"\)$/,
    );
  });
});
