// A refused reload must be visible (issue 13 item 6): routerctl status and the doctor's config-current
// tell the operator which generation runs, what the last reload did and which files differ from it —
// against a real daemon, real SIGHUPs and real routerctl processes.
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { DAEMON_BIN, TestDaemon } from '@routerd/host/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, keyFile, newRoot, routerctl, routerctlJson, writeNode } from './support/federation.js';

interface Status {
  version: string;
  uptimeSeconds: number;
  config: {
    generation: number;
    lastReload?: { result: string; problems: string[] };
    changedOnDisk: string[];
  };
}
interface Doctor {
  checks: { code: string; status: string; summary: string; advice?: string }[];
}

let daemon: TestDaemon;
let config: string;
let key: string;
let original: string;

beforeAll(async () => {
  const root = newRoot();
  key = keyFile(root);
  const node = writeNode(root, { name: 'cloud', port: await freePort(), key, peers: [] });
  config = node.config;
  original = readFileSync(config, 'utf8');
  daemon = await TestDaemon.start({ configFiles: [config], stateDir: node.stateDir });
});
afterAll(() => daemon?.stop());

const status = () => routerctlJson<Status>(daemon.stateDir, 'status');
/** The doctor exits 1 when a check FAILs: read its JSON either way. */
const configCurrent = () => {
  const r = routerctl(daemon.stateDir, 'doctor', 'federation', '-o', 'json');
  const report = JSON.parse(r.stdout) as Doctor;
  expect(r.code).toBe(report.checks.some((c) => c.status === 'FAIL') ? 1 : 0);
  return report.checks.find((c) => c.code === 'config-current')!;
};
let reloads = 0;
async function reload(expect: 'config reloaded' | 'config reload refused') {
  const seen = daemon.logs.length;
  daemon.signal('SIGHUP');
  reloads++;
  return daemon.waitForLog((l) => daemon.logs.indexOf(l) >= seen && l.msg.startsWith(expect));
}

describe('the config in force, as the operator sees it', () => {
  it('routerd-eventd --version prints the version', () => {
    const r = spawnSync(process.execPath, [DAEMON_BIN, '--version'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^routerd-eventd \d+\.\d+\.\d+ \(node \d+\.\d+\.\d+\)\n$/);
    expect(r.stdout).toContain(status().version);
  });

  it('after start: generation 1, no reload yet, the files are the config in force', () => {
    expect(status()).toMatchObject({ config: { generation: 1, changedOnDisk: [] } });
    expect(status().config.lastReload).toBeUndefined();
    expect(configCurrent()).toMatchObject({ status: 'PASS' });
    const table = routerctl(daemon.stateDir, 'status');
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('config generation 1');
    expect(table.stdout).toContain('last reload: none since start');
  });

  it('a file edited but not reloaded is named, and the doctor fails config-current', () => {
    writeFileSync(config, `${original}  captured: [10.88.70.0/24]\n`);
    expect(status().config.changedOnDisk).toEqual([config]);
    expect(configCurrent()).toMatchObject({
      status: 'FAIL',
      summary: expect.stringContaining('changed on disk'),
    });
    expect(routerctl(daemon.stateDir, 'status').stdout).toContain(`changed on disk, not in force: ${config}`);
  });

  it('a reload that applies clears it: generation 2, last reload applied', async () => {
    await reload('config reloaded');
    expect(status()).toMatchObject({
      config: { generation: 2, lastReload: { result: 'applied', problems: [] }, changedOnDisk: [] },
    });
    expect(configCurrent().status).toBe('PASS');
  });

  it('a refused reload (a typo) keeps generation 2, says so in one wording, and stays visible until fixed', async () => {
    writeFileSync(config, original.replace('nodeName: cloud', 'nodeNme: cloud'));
    const line = await reload('config reload refused');
    expect(line.msg).toBe('config reload refused (2 problems): keeping generation 2 in force');
    const s = status();
    expect(s.config.generation).toBe(2);
    expect(s.config.lastReload?.result).toBe('refused');
    expect(s.config.lastReload?.problems.join('\n')).toContain('nodeNme');
    const table = routerctl(daemon.stateDir, 'status');
    expect(table.stdout).toContain('last reload: REFUSED');
    expect(table.stdout).toContain('nodeNme');
    expect(configCurrent()).toMatchObject({
      status: 'FAIL',
      summary: expect.stringContaining('was refused, generation 2 stays in force'),
      advice: expect.stringContaining('routerd-eventd check'),
    });
  });

  it('a key file the reload refuses is reported the same way', async () => {
    writeFileSync(config, original);
    chmodSync(key, 0o644);
    try {
      const line = await reload('config reload refused');
      expect(line.msg).toBe('config reload refused (1 problem): keeping generation 2 in force');
      expect(status().config.lastReload?.problems[0]).toContain(key);
      expect(configCurrent().status).toBe('FAIL');
    } finally {
      chmodSync(key, 0o600);
    }
    await reload('config reloaded');
    expect(status().config).toMatchObject({
      generation: 3,
      lastReload: { result: 'applied' },
      changedOnDisk: [],
    });
    expect(configCurrent().status).toBe('PASS');
    expect(reloads).toBe(4);
  });
});
