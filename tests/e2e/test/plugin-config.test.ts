// A typo in a Plugin's `config` (absentAftr, sources.dnsmaq) is refused everywhere an operator meets it:
// `routerd-eventd check` (against the JSON Schema the plugin package ships, or the one spec.configSchema
// names), a reload, `routerd-plugin test`, and — for a plugin the host has no schema for — the plugin's
// own initialize, shown by `routerctl plugin list` and the doctor. Real binaries, real daemons.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DAEMON_BIN, TestDaemon } from '@routerd/host/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  arpObserverPlugin,
  doctorReport,
  keyFile,
  newRoot,
  routerctl,
  routerctlJson,
} from './support/federation.js';

const OBSERVER = fileURLToPath(
  new URL('../../../packages/plugins-arp-observer/dist/main.js', import.meta.url),
);
const OBSERVER_SCHEMA = fileURLToPath(
  new URL('../../../packages/plugins-arp-observer/dist/config.schema.json', import.meta.url),
);
const STRICT = fileURLToPath(new URL('./fixtures/strict-config-plugin.mjs', import.meta.url));
const WARNS_BY_MESSAGE = fileURLToPath(new URL('./fixtures/warns-by-message.mjs', import.meta.url));
const ROUTERD_PLUGIN = fileURLToPath(
  new URL('../../../packages/cli/dist/routerd-plugin.js', import.meta.url),
);

const running: TestDaemon[] = [];
afterEach(async () => {
  for (const d of running.splice(0)) await d.stop();
});

const group = (dir: string) => `apiVersion: federation.routerd.net/v1alpha1
kind: EventGroup
metadata: { name: edge }
spec:
  nodeName: onprem-1
  auth: { mode: hmac, secretFile: ${keyFile(dir)} }
`;

const DOMAINS = 'domains: [{ name: lan, cidrs: [10.88.60.0/24] }]';

/** The observer as an operator configures it; `extra` lines go under config. */
const observerPlugin = (extra: string[] = [], spec: string[] = []) =>
  arpObserverPlugin(
    OBSERVER,
    [DOMAINS, 'sources:', '  neighbours: false', '  dnsmasq: /nonexistent/dnsmasq.leases', ...extra],
    spec,
  );

/** A long-lived Plugin the host has no config schema for; `spec` lines go under spec. */
const longLivedPlugin = (
  name: string,
  executable: string,
  spec: string[] = [],
) => `apiVersion: plugin.routerd.net/v1alpha1
kind: Plugin
metadata: { name: ${name} }
spec:
  executable: ${executable}
  lifecycle: longLived${spec.map((l) => `\n  ${l}`).join('')}
`;

function writeConfig(dir: string, ...docs: string[]): string {
  const file = join(dir, 'federation.yaml');
  writeFileSync(file, docs.join('---\n'));
  return file;
}

const check = (file: string) =>
  spawnSync(process.execPath, [DAEMON_BIN, 'check', '--config', file], { encoding: 'utf8' });
const lineOf = (file: string, text: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(text)) + 1;

describe('routerd-eventd check: each Plugin config against its JSON Schema', () => {
  it('the first-party observer with absentAftr and sources.dnsmaq: exit 1, file:line, Plugin/<name>, the path', () => {
    const dir = newRoot();
    const file = writeConfig(
      dir,
      group(dir),
      observerPlugin(['  dnsmaq: /var/lib/misc/dnsmasq.leases', 'absentAftr: 30s']),
    );
    const r = check(file);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('routerd-eventd check: 2 problems:');
    expect(r.stderr).toContain(
      `${file}:${lineOf(file, 'absentAftr')}: document 2 (Plugin/arp-observer): /spec/config/absentAftr is not a known field here: remove it or check its spelling (fields here: absentAfter, captured, domains,`,
    );
    expect(r.stderr).toContain(
      `${file}:${lineOf(file, 'dnsmaq:')}: document 2 (Plugin/arp-observer): /spec/config/sources/dnsmaq is not a known field here`,
    );
    expect(r.stderr).toContain('(fields here: dnsmasq, iscDhcpd, kea, neighbours, procArp)');
  });

  it('a value of the wrong shape is named with what it must be', () => {
    const dir = newRoot();
    const file = writeConfig(dir, group(dir), observerPlugin(['ttl: 5x']));
    const r = check(file);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      '/spec/config/ttl must be a duration such as 300ms, 30s, 5m or 1h30m (was "5x")',
    );
  });

  it('the same config spelt right passes', () => {
    const dir = newRoot();
    const r = check(writeConfig(dir, group(dir), observerPlugin(['absentAfter: 30s'])));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^config OK: 1 EventGroup, 0 EventPeer, 0 EventSubscription, 1 Plugin/);
  });

  it('spec.configSchema names the schema for a plugin the host cannot resolve it for; a missing one is an error', () => {
    const dir = newRoot();
    const strict = (schema: string) => `apiVersion: plugin.routerd.net/v1alpha1
kind: Plugin
metadata: { name: strict }
spec:
  executable: ${STRICT}
  configSchema: ${schema}
  config: { absentAftr: 30s }
`;
    const typo = check(writeConfig(dir, group(dir), strict(OBSERVER_SCHEMA)));
    expect(typo.status).toBe(1);
    expect(typo.stderr).toContain('(Plugin/strict): /spec/config/absentAftr is not a known field here');
    // The observer's schema also requires domains: the schema named is the one used.
    expect(typo.stderr).toContain("/spec/config must have required property 'domains'");

    const missing = check(writeConfig(dir, group(dir), strict(join(dir, 'nope.schema.json'))));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain(
      `(Plugin/strict): /spec/configSchema cannot be read as a JSON Schema: no such file`,
    );
  });
});

describe('a reload with a typo in a plugin config', () => {
  it('is refused with the path; the daemon and its plugin keep running on the config in force', async () => {
    const dir = newRoot();
    const file = writeConfig(dir, group(dir), observerPlugin(['absentAfter: 30s']));
    const d = await TestDaemon.start({ configFiles: [file], stateDir: join(dir, 'state') });
    running.push(d);
    await expect
      .poll(() => routerctlJson<{ state: string }[]>(d.stateDir, 'plugin', 'list')[0]?.state, {
        timeout: 15_000,
      })
      .toBe('running');
    writeConfig(dir, group(dir), observerPlugin(['absentAftr: 30s']));
    d.signal('SIGHUP');
    const refused = await d.waitForLog((l) => String(l.msg).startsWith('config reload refused'));
    expect(JSON.stringify(refused)).toContain(
      '(Plugin/arp-observer): /spec/config/absentAftr is not a known field here',
    );
    const plugins = routerctlJson<{ name: string; state: string }[]>(d.stateDir, 'plugin', 'list');
    expect(plugins).toEqual([expect.objectContaining({ name: 'arp-observer', state: 'running' })]);
  });
});

describe('routerd-plugin test with a typo in --config', () => {
  it('fails, naming every refused path', () => {
    const dir = newRoot();
    const config = join(dir, 'observer.yaml');
    writeFileSync(
      config,
      'domains: [{ name: lan, cidrs: [10.88.60.0/24] }]\nabsentAftr: 30s\nsources: { neighbours: false, dnsmaq: /x }\n',
    );
    const r = spawnSync(
      process.execPath,
      [
        ROUTERD_PLUGIN,
        'test',
        OBSERVER,
        '--config',
        config,
        '--grant',
        'observe.events',
        '--only',
        'lifecycle.initialize-within-deadline',
        '--format',
        'pretty',
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('✗ lifecycle.initialize-within-deadline  refused its config (-32602):');
    expect(r.stdout).toContain('/config/absentAftr is not a known field here');
    expect(r.stdout).toContain('/config/sources/dnsmaq is not a known field here');
    expect(r.stdout).toContain('correct the config file given with --config');
  });
});

describe('a plugin the host has no schema for refuses the typo itself', () => {
  it('routerctl plugin list shows it degraded with the path; the doctor fails it with the path', async () => {
    const dir = newRoot();
    const file = writeConfig(
      dir,
      group(dir),
      longLivedPlugin('strict', STRICT, ['config: { absentAftr: 30s }']),
    );
    // Nothing tells the host what this plugin accepts: check and start let it through.
    expect(check(file).status).toBe(0);
    const d = await TestDaemon.start({ configFiles: [file], stateDir: join(dir, 'state') });
    running.push(d);
    type Status = { name: string; state: string; lastError?: string };
    await expect
      .poll(() => routerctlJson<Status[]>(d.stateDir, 'plugin', 'list')[0]?.state, { timeout: 15_000 })
      .toBe('degraded');
    const [status] = routerctlJson<Status[]>(d.stateDir, 'plugin', 'list');
    expect(status!.lastError).toContain(
      'initialize failed: invalid config: /config/absentAftr is not a known field here: remove it or check its spelling (fields here: absentAfter)',
    );
    expect(routerctl(d.stateDir, 'plugin', 'list').stdout).toContain(
      '/config/absentAftr is not a known field',
    );

    const r = doctorReport(d.stateDir);
    const { report } = r;
    const plugin = report.checks.find((c) => c.code === 'plugin-degraded' && c.subject === 'strict');
    expect(plugin).toMatchObject({ status: 'FAIL' });
    expect(plugin!.summary).toContain('/config/absentAftr is not a known field');
    expect(r.code).not.toBe(0);
  });
});

describe('a configured lease file that does not exist', () => {
  it("is a warning in the daemon's log, in plugin list and in the doctor; its appearance is logged", async () => {
    const dir = newRoot();
    const leases = join(dir, 'dnsmasq.leases');
    const file = writeConfig(
      dir,
      group(dir),
      arpObserverPlugin(OBSERVER, [
        DOMAINS,
        'leasePollEvery: 1s',
        `sources: { neighbours: false, dnsmasq: ${leases} }`,
      ]),
    );
    const d = await TestDaemon.start({ configFiles: [file], stateDir: join(dir, 'state') });
    running.push(d);
    const warned = await d.waitForLog(
      (l) => l.level >= 40 && String(l.msg).startsWith('plugin arp-observer: lease file'),
      15_000,
    );
    expect(warned.msg).toBe(
      `plugin arp-observer: lease file ${leases} (sources.dnsmasq) does not exist: no leases are read until it appears; check the path`,
    );

    type Status = { name: string; state: string; lastWarning?: { message: string; at: string } };
    const [status] = routerctlJson<Status[]>(d.stateDir, 'plugin', 'list');
    expect(status).toMatchObject({
      state: 'running',
      lastWarning: { message: expect.stringContaining(leases) },
    });

    const { report } = doctorReport(d.stateDir);
    const warning = report.checks.find((c) => c.code === 'plugin-warning' && c.subject === 'arp-observer');
    expect(warning).toMatchObject({ status: 'WARN' });
    expect(warning!.summary).toContain(`lease file ${leases} (sources.dnsmasq) does not exist`);
    expect(warning!.advice).toContain('plugin arp-observer:');
    expect(
      report.checks.find((c) => c.code === 'plugin-degraded' && c.subject === 'arp-observer'),
    ).toMatchObject({ status: 'PASS' });

    writeFileSync(leases, '');
    await d.waitForLog((l) => l.msg === 'plugin arp-observer: lease file appeared', 15_000);
  });

  it('a warning sent as notifications/message shows the same way', async () => {
    const dir = newRoot();
    const file = writeConfig(dir, group(dir), longLivedPlugin('warner', WARNS_BY_MESSAGE));
    const d = await TestDaemon.start({ configFiles: [file], stateDir: join(dir, 'state') });
    running.push(d);
    await d.waitForLog((l) => l.msg === 'plugin warner: upstream table unreadable: /x/y');
    const { report } = doctorReport(d.stateDir);
    expect(report.checks.find((c) => c.code === 'plugin-warning' && c.subject === 'warner')).toMatchObject({
      status: 'WARN',
      summary: expect.stringContaining('upstream table unreadable: /x/y'),
    });
  });
});
